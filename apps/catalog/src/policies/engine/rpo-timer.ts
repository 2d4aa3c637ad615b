import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { RegionCatalog } from '@snapferry/domain';
import { lockSubscription, PostgresEventStore } from '@snapferry/event-store';
import { pause } from '@snapferry/platform';
import { CatalogStore } from '../../store/catalog-store';
import { LOGGER, REGION_CATALOG } from '../../tokens';
import { policyEngineSubscription } from './policy-engine';
import { policyEngineRepository } from './policy-engine.repository';
import { PolicyWork } from './policy-work';

/** The longest the timer sleeps: an objective counted down meanwhile is seen within this. */
const maxSleepMs = 250;
const perTick = 500;

/**
 * Appends `RecoveryPointObjectiveBreached` at the moment a recovery point's age reaches its
 * policy's objective, not when the next event happens to come: it sleeps until the next
 * `breaches_at` (at most 250 ms), then, holding the engine's subscription lock, judges what is
 * due against each recovery point's stream. Every catalog runs one; the lock and the streams'
 * versions make each breach appended once.
 */
@Injectable()
export class RpoTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: PostgresEventStore,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    let failures = 0;
    while (!signal.aborted) {
      let sleepMs = maxSleepMs;
      try {
        const next = await policyEngineRepository.nextBreach(this.store);
        const untilNext = next === null ? Infinity : Date.parse(next) - Date.now();
        if (untilNext <= 0) sleepMs = (await this.tick()) === perTick ? 0 : 20;
        else sleepMs = Math.min(maxSleepMs, untilNext);
        failures = 0;
      } catch (error) {
        failures++;
        sleepMs = Math.min(5_000, 100 * 2 ** failures);
        this.logger.warn({ err: error }, 'recovery-point timer failed; retrying');
      }
      await pause(sleepMs, signal);
    }
  }

  /** Judges every target due now; returns how many it looked at. */
  async tick(): Promise<number> {
    return this.store.transaction(async (etx) => {
      await lockSubscription(etx, policyEngineSubscription);
      const { result } = await CatalogStore.within(
        etx,
        { causationId: 'rpo-timer' },
        async (tx) => {
          const work = new PolicyWork(tx, this.regions, new Date().toISOString());
          const due = await policyEngineRepository.targetsToJudge(tx.db, work.now, perTick);
          for (const target of due) {
            const rule = await work.rule(target.policyId);
            if (rule) await work.judge(target, rule);
          }
          await work.flush();
          return due.length;
        },
      );
      return result;
    });
  }
}
