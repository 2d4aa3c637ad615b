import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { missDeadline, streamIds } from '@snapferry/domain';
import { EventNotifications, PostgresEventStore } from '@snapferry/event-store';
import { pause } from '@snapferry/platform';
import { CatalogStore } from '../store/catalog-store';
import { LOGGER, METRICS } from '../tokens';
import { replicationDeadlinesRepository as deadlines } from './replication-deadlines.repository';

/** The longest the timer sleeps without looking (another catalog's request, a lost notification). */
const maxSleepMs = 5_000;
/** The least time between two looks while the log is busy (every append notifies). */
const minLookMs = 20;
const batch = 100;

/**
 * Appends ReplicationDeadlineMissed the moment a copy's deadline comes while it is still in
 * flight. Its rows (`replication_deadlines`) are written with the request and live in the
 * database, so a restart finds overdue ones at once. Every catalog runs the timer; a row is
 * decided in one transaction that holds its lock (others skip it), appends through the stream's
 * optimistic concurrency and drops the row, and the decision (`missDeadline`) appends nothing
 * for a copy found late before: exactly once, with any number of catalogs. It sleeps until the
 * earliest deadline, waking early when the log changes (a new request may be due sooner).
 */
@Injectable()
export class DeadlineTimer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private readonly missed: Counter;
  private readonly lateness: Histogram;

  constructor(
    private readonly store: CatalogStore,
    private readonly db: PostgresEventStore,
    private readonly notifications: EventNotifications,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.missed = new Counter({
      name: 'snapferry_replication_deadlines_missed_total',
      help: 'Copies still in flight at their deadline (ReplicationDeadlineMissed appended)',
      labelNames: ['region'],
      registers: [metrics],
    });
    this.lateness = new Histogram({
      name: 'snapferry_replication_deadline_timer_lateness_seconds',
      help: 'From a deadline to its ReplicationDeadlineMissed being appended',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30],
      registers: [metrics],
    });
  }

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    let failures = 0;
    while (!signal.aborted) {
      try {
        while ((await this.fireDue()) === batch && !signal.aborted);
        const next = await deadlines.msUntilNext(this.db);
        failures = 0;
        if (next !== null && next <= 0) continue;
        await this.notifications.waitForNext(Math.min(next ?? maxSleepMs, maxSleepMs), signal);
        await pause(minLookMs, signal);
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.logger.error({ err: error, failures }, 'the deadline timer failed; retrying');
        await pause(Math.min(30_000, 250 * 2 ** failures), signal);
      }
    }
  }

  /** Decides every due row it can lock (one transaction); returns how many it took. */
  private async fireDue(): Promise<number> {
    const appended: { region: string; lateSeconds: number }[] = [];
    const taken = await this.store.transaction(
      { correlationId: 'deadline-timer', causationId: 'deadline-timer' },
      async (tx) => {
        appended.length = 0;
        const due = await deadlines.takeDue(tx.db, batch);
        await tx.preload(due.map((d) => streamIds.replication(d.replicationId)));
        for (const { replicationId, now } of due) {
          const { state, version } = await tx.replication(replicationId);
          const events = missDeadline(state, { now });
          if (!state || events.length === 0) continue;
          tx.append(streamIds.replication(replicationId), version, events, {
            metadata: {
              accountId: state.request.accountId,
              correlationId: `deadline-${replicationId}`,
            },
          });
          const lateMs = Date.parse(now) - Date.parse(state.request.deadline!);
          appended.push({ region: state.request.targetRegion, lateSeconds: lateMs / 1000 });
        }
        await deadlines.drop(
          tx.db,
          due.map((d) => d.replicationId),
        );
        return due.length;
      },
      { readYourWrites: false },
    );
    for (const { region, lateSeconds } of appended) {
      this.missed.inc({ region });
      this.lateness.observe(lateSeconds);
      this.logger.info({ region, lateSeconds }, 'a copy missed its deadline');
    }
    return taken;
  }
}
