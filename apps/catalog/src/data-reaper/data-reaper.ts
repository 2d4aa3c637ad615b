import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { type SnapshotDeleted, streamIds } from '@snapferry/domain';
import {
  EventNotifications,
  PostgresEventStore,
  type RecordedEvent,
  SubscriptionRunner,
} from '@snapferry/event-store';
import type { SnapferryConfig } from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { deleteUploadPlans } from '../snapshot-data/chunked/upload-plans';
import { CONFIG, LOGGER } from '../tokens';
import { GcSchedule } from './gc-schedule';

export const dataReaperSubscription = 'data-reaper';
/** Deletions per batch: each costs a few calls to a region's store inside the batch's transaction. */
const dataReaperBatchSize = 200;
/** The longest sleep between looks at the log and at the sweeps that are due. */
const idleMs = 5_000;

/**
 * Frees the data of deleted snapshots: for every SnapshotDeleted it removes the manifest
 * from the region's store and the upload plan of an incremental upload that never committed
 * (idempotent, so at-least-once is enough); the regions it touched
 * are then swept for chunks nothing references (bounded mark-and-sweep, see collectGarbage),
 * at most once a minute per region and once more after the grace period, when the chunks
 * that were still young (uploads and copies in flight keep theirs) may go. Runs from the
 * application's bootstrap until its shutdown begins.
 */
@Injectable()
export class DataReaper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: SubscriptionRunner<SnapshotDeleted>;
  private readonly schedule: GcSchedule;
  private readonly graceMs: number;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly regionStores: RegionStores,
    notifications: EventNotifications,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) config: SnapferryConfig,
  ) {
    this.graceMs = config.gcGraceMs;
    this.schedule = new GcSchedule(config.gcIntervalMs, config.gcGraceMs);
    this.runner = new SubscriptionRunner<SnapshotDeleted>(store, {
      name: dataReaperSubscription,
      batchSize: dataReaperBatchSize,
      filter: { types: ['SnapshotDeleted'] },
      notifications,
      lookAgainWhileBehind: false, // filtered: the positions it handles say nothing of the others
      minIntervalMs: 1_000, // deletions are freed within a second; a busy log costs one batch a second
      pollIntervalMs: () => {
        const next = this.schedule.next();
        return next === undefined ? idleMs : Math.min(idleMs, Math.max(0, next - Date.now()));
      },
      retryDelayMs: () => idleMs,
      handle: (events) => this.free(events),
      afterBatch: (_outcome, signal) => this.sweepDue(signal),
      onError: (error) =>
        logger.error({ err: error }, 'freeing deleted snapshot data failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }

  /** A batch of deletions: each snapshot's manifest and unfinished upload go; its region's sweep is due. */
  private async free(events: RecordedEvent<SnapshotDeleted>[]): Promise<void> {
    for (const event of events) {
      const store = this.regionStores.get(event.data.region);
      await store.deleteManifest(event.data.snapshotId);
      await store.deletePending(event.data.snapshotId); // an upload that never finished
      this.schedule.deleted(event.data.region, Date.now());
    }
    await deleteUploadPlans(
      this.store,
      events.map((event) => event.data.snapshotId),
    );
  }

  /** After every batch: the sweeps that are due. */
  private async sweepDue(signal: AbortSignal): Promise<void> {
    for (const region of this.schedule.due(Date.now())) {
      const leftovers = await this.dropLeftovers(region);
      const stats = await this.regionStores.get(region).collectGarbage({
        graceMs: this.graceMs,
        signal,
      });
      this.schedule.ran(region, Date.now());
      this.logger.info({ region, leftovers, ...stats }, 'collected garbage');
    }
  }

  /**
   * Manifests and pending records of snapshots that are deleted: normally removed when the
   * deletion is processed, but one written after that (an upload whose snapshot was deleted
   * meanwhile and whose cleanup failed) would otherwise keep its chunks forever.
   */
  private async dropLeftovers(region: string): Promise<number> {
    const store = this.regionStores.get(region);
    const ids = [...new Set([...(await store.listManifests()), ...(await store.listPending())])];
    let dropped = 0;
    for (let i = 0; i < ids.length; i += 1_000) {
      const batch = ids.slice(i, i + 1_000);
      const deleted = await this.store.streamsWithEvent(
        batch.map((id) => streamIds.snapshot(id)),
        'SnapshotDeleted',
      );
      for (const id of batch) {
        if (!deleted.has(streamIds.snapshot(id))) continue;
        const manifest = await store.deleteManifest(id);
        const pending = await store.deletePending(id);
        if (manifest || pending) dropped++;
      }
    }
    return dropped;
  }
}
