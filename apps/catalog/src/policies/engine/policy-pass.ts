import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { deleteSnapshot, isCopying, type RegionCatalog, streamIds } from '@snapferry/domain';
import { lockSubscription, PostgresEventStore } from '@snapferry/event-store';
import type { SnapferryConfig } from '@snapferry/platform';
import { CatalogStore } from '../../store/catalog-store';
import { CONFIG, LOGGER, REGION_CATALOG } from '../../tokens';
import { offerSnapshot } from './apply-event';
import { policyEngineSubscription } from './policy-engine';
import { newestSelected, planDeletions, type PlannedDeletion } from './policy-plan';
import { policyEngineRepository } from './policy-engine.repository';
import { PolicyWork } from './policy-work';

export const policyPassCause = 'policy-pass';

/**
 * Every SNAPFERRY_POLICY_RETENTION_INTERVAL_MS, each policy's pass: the copies it would
 * request now (the newest selected snapshot of a disk it has not copied, e.g. for disks that
 * had snapshots before the policy), then its retention. One transaction per policy, holding
 * the engine's subscription lock: a pass and the engine's batches never interleave, in one
 * catalog or several. What `GET /v1/policies/{id}/preview` shows is what a pass does.
 */
@Injectable()
export class PolicyPass implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: PostgresEventStore,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runAll().finally(() => this.schedule());
    }, this.config.policyPassIntervalMs);
  }

  /** One pass over every policy; a policy that fails is reported and tried again next time. */
  async runAll(): Promise<void> {
    for (const policyId of await policyEngineRepository.allRules(this.store)) {
      if (this.stopped) return;
      await this.run(policyId).catch((error: unknown) =>
        this.logger.warn({ err: error, policyId }, 'policy pass failed; trying again next pass'),
      );
    }
  }

  async run(policyId: string): Promise<void> {
    await this.store.transaction(async (etx) => {
      await lockSubscription(etx, policyEngineSubscription);
      await CatalogStore.within(etx, { causationId: policyPassCause }, async (tx) => {
        const work = new PolicyWork(tx, this.regions, new Date().toISOString());
        const rule = await work.rule(policyId);
        if (!rule?.definition.enabled) return;
        for (const snapshot of await newestSelected(tx.db, rule))
          await offerSnapshot(work, rule, snapshot, policyPassCause);
        await work.flush();
        const targets = await work.targetsOf(policyId);
        for (const deletion of await planDeletions(tx.db, rule, targets, work.now))
          await remove(work, rule.accountId, policyId, deletion);
        await work.flush();
      });
    });
  }
}

/**
 * Deletes what retention planned, judged again against the streams: only a snapshot still
 * NORMAL that no copy reads, and only while the newest snapshot the plan kept is still NORMAL.
 */
async function remove(
  work: PolicyWork,
  accountId: string,
  policyId: string,
  deletion: PlannedDeletion,
): Promise<void> {
  const { tx } = work;
  await tx.preload([streamIds.snapshot(deletion.snapshotId), streamIds.snapshot(deletion.keeps)]);
  const doomed = await tx.snapshot(deletion.snapshotId);
  const kept = await tx.snapshot(deletion.keeps);
  if (doomed.state?.status !== 'NORMAL' || isCopying(doomed.state)) return;
  if (kept.state?.status !== 'NORMAL') return;
  const { deleted } = deleteSnapshot(doomed.state, {
    accountId,
    snapshotId: deletion.snapshotId,
    now: work.now,
  });
  tx.append(streamIds.snapshot(deletion.snapshotId), doomed.version, [deleted], {
    metadata: { accountId, policyId, reason: deletion.reason },
  });
}
