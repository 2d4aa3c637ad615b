import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SnapshotDeleted } from '@snapferry/domain';
import {
  type EventNotifications,
  type PostgresEventStore,
  processSubscriptionBatch,
} from '@snapferry/event-store';
import { collectGarbage } from '@snapferry/storage';
import type { RegionStores } from '@snapferry/storage';

export const dataReaperSubscription = 'data-reaper';

/**
 * Frees the data of deleted snapshots: for every SnapshotDeleted it removes the manifest
 * from the region's store (idempotent, so at-least-once is enough), then collects the
 * chunks nothing references any more in the regions it touched (mark-and-sweep; young
 * chunks are left for a grace period so that uploads and copies in flight keep theirs).
 */
export class DataReaper {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly dirty = new Set<string>();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly regionStores: RegionStores,
    private readonly notifications: EventNotifications,
    private readonly logger: Logger,
    private readonly graceMs: number,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** One batch of deletions, then garbage collection of the regions they touched. */
  async step(): Promise<number> {
    const result = await processSubscriptionBatch<SnapshotDeleted>(this.store, {
      name: dataReaperSubscription,
      batchSize: 200,
      filter: { types: ['SnapshotDeleted'] },
      handle: async (events) => {
        for (const event of events) {
          await this.regionStores.get(event.data.region).deleteManifest(event.data.snapshotId);
          this.dirty.add(event.data.region);
        }
      },
    });
    for (const region of [...this.dirty]) {
      this.dirty.delete(region);
      const stats = await collectGarbage(this.regionStores.get(region), { graceMs: this.graceMs });
      if (stats.chunksDeleted > 0)
        this.logger.info({ region, ...stats }, 'freed chunks of deleted snapshots');
    }
    return result.outcome === 'handled' ? result.count : 0;
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        if ((await this.step()) === 0) await this.notifications.waitForNext(5_000, signal);
      } catch (error) {
        this.logger.error({ err: error }, 'freeing deleted snapshot data failed; retrying');
        await sleep(5_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
