import { pause } from '@snapferry/platform';
import type { Logger } from 'pino';
import { type SnapshotDeleted, streamIds } from '@snapferry/domain';
import {
  type EventNotifications,
  type PostgresEventStore,
  processSubscriptionBatch,
} from '@snapferry/event-store';
import type { RegionStores } from '@snapferry/storage';
import { deleteUploadPlans } from '../snapshot-data/chunked/upload-plans';
import { GcSchedule } from './gc-schedule';

export const dataReaperSubscription = 'data-reaper';

/**
 * Frees the data of deleted snapshots: for every SnapshotDeleted it removes the manifest
 * from the region's store and the upload plan of an incremental upload that never committed
 * (idempotent, so at-least-once is enough); the regions it touched
 * are then swept for chunks nothing references (bounded mark-and-sweep, see collectGarbage),
 * at most once a minute per region and once more after the grace period, when the chunks
 * that were still young (uploads and copies in flight keep theirs) may go.
 */
export class DataReaper {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly schedule: GcSchedule;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly regionStores: RegionStores,
    private readonly notifications: EventNotifications,
    private readonly logger: Logger,
    private readonly graceMs: number,
    gcIntervalMs = 60_000,
  ) {
    this.schedule = new GcSchedule(gcIntervalMs, graceMs);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** One batch of deletions, then the sweeps that are due. */
  async step(): Promise<number> {
    const result = await processSubscriptionBatch<SnapshotDeleted>(this.store, {
      name: dataReaperSubscription,
      batchSize: 200,
      filter: { types: ['SnapshotDeleted'] },
      handle: async (events) => {
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
      },
    });
    for (const region of this.schedule.due(Date.now())) {
      const leftovers = await this.dropLeftovers(region);
      const stats = await this.regionStores.get(region).collectGarbage({
        graceMs: this.graceMs,
        signal: this.abort.signal,
      });
      this.schedule.ran(region, Date.now());
      this.logger.info({ region, leftovers, ...stats }, 'collected garbage');
    }
    return result.outcome === 'handled' ? result.count : 0;
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

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        if ((await this.step()) === 0) {
          const next = this.schedule.next();
          const wait = next === undefined ? 5_000 : Math.min(5_000, Math.max(0, next - Date.now()));
          await this.notifications.waitForNext(wait, signal);
        }
      } catch (error) {
        this.logger.error({ err: error }, 'freeing deleted snapshot data failed; retrying');
        await pause(5_000, signal);
      }
    }
  }
}
