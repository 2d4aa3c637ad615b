import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { SnapshotDeleted } from '@snapferry/domain';
import {
  EventNotifications,
  type EventStoreTransaction,
  PostgresEventStore,
  type RecordedEvent,
  SubscriptionRunner,
} from '@snapferry/event-store';
import { uploadPlansRepository } from '../snapshot-data/chunked/upload-plans.repository';
import { LOGGER } from '../tokens';
import { DataReaperRepository } from './data-reaper.repository';

export const dataReaperSubscription = 'data-reaper';
/** Deletions per batch: each costs two rows in the batch's transaction. */
const dataReaperBatchSize = 500;

/**
 * Follows SnapshotDeleted and records, in the batch's own transaction (exactly once), what the
 * deletion leaves to do: the snapshot's manifest and pending record to drop from its region's
 * store, and that region's sweep due soon; an incremental upload's plan goes at once. It calls
 * no region's store: the batch holds a transaction id that every reader of the log waits
 * behind, so the RegionSweeper does those calls, outside any transaction, region by region.
 */
@Injectable()
export class DataReaper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: SubscriptionRunner<SnapshotDeleted>;

  constructor(
    store: PostgresEventStore,
    private readonly rows: DataReaperRepository,
    notifications: EventNotifications,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.runner = new SubscriptionRunner<SnapshotDeleted>(store, {
      name: dataReaperSubscription,
      batchSize: dataReaperBatchSize,
      filter: { types: ['SnapshotDeleted'] },
      notifications,
      pacing: {
        lookAgainWhileBehind: false, // filtered: the positions it handles say nothing of the others
        minIntervalMs: 1_000, // deletions are recorded within a second; a busy log costs one batch a second
        pollIntervalMs: 5_000,
      },
      handle: (events, tx) => this.record(events, tx),
      onError: (error) =>
        logger.error({ err: error }, 'recording deleted snapshot data failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }

  private async record(
    events: RecordedEvent<SnapshotDeleted>[],
    tx: EventStoreTransaction,
  ): Promise<void> {
    await this.rows.recordDeletions(
      tx,
      events.map(({ data }) => ({ region: data.region, snapshotId: data.snapshotId })),
    );
    await uploadPlansRepository.delete(
      tx,
      events.map((event) => event.data.snapshotId),
    );
  }
}
