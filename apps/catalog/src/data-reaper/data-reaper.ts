import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SnapshotDeleted } from '@snapferry/domain';
import {
  type EventNotifications,
  type PostgresEventStore,
  processSubscriptionBatch,
} from '@snapferry/event-store';
import { collectGarbage, type RegionStores } from '@snapferry/storage';
import { GcSchedule } from './gc-schedule';

export const dataReaperSubscription = 'data-reaper';

/**
 * Frees the data of deleted snapshots: for every SnapshotDeleted it removes the manifest
 * from the region's store (idempotent, so at-least-once is enough); the regions it touched
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
          await this.regionStores.get(event.data.region).deleteManifest(event.data.snapshotId);
          this.schedule.deleted(event.data.region, Date.now());
        }
      },
    });
    for (const region of this.schedule.due(Date.now())) {
      const stats = await collectGarbage(this.regionStores.get(region), {
        graceMs: this.graceMs,
        signal: this.abort.signal,
      });
      this.schedule.ran(region, Date.now());
      this.logger.info({ region, ...stats }, 'collected garbage');
    }
    return result.outcome === 'handled' ? result.count : 0;
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
        await sleep(5_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
