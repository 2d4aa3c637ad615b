import { Injectable } from '@nestjs/common';
import {
  recordReplicationProgress,
  type ReplicationProgressEvent,
  streamIds,
} from '@snapferry/domain';
import type { ReplicationMessage } from '@snapferry/contracts';
import { DuplicateEventError } from '@snapferry/event-store';
import { CatalogStore } from '../store/catalog-store';
import { SerialPerKey } from './serial-per-key';

export type IngestOutcome = 'recorded' | 'duplicate' | { ignored: string };

/**
 * Ingests one replicator event into the catalog's store: deduplicated by event id, judged
 * by the replication's decider (stale, reordered or late events change nothing), and
 * appended with the source's and target's consequences in one transaction.
 */
@Injectable()
export class RecordProgress {
  private readonly serial = new SerialPerKey();

  constructor(private readonly store: CatalogStore) {}

  /** One replication's events are ingested in delivery order; different replications in parallel. */
  handle(message: ReplicationMessage): Promise<IngestOutcome> {
    const { replicationId } = message.data as { replicationId: string };
    return this.serial.run(replicationId, () => this.ingest(message));
  }

  private async ingest(message: ReplicationMessage): Promise<IngestOutcome> {
    const event = { type: message.type, data: message.data } as ReplicationProgressEvent;
    try {
      return await this.store.transaction(
        { correlationId: message.correlationId, causationId: message.eventId },
        async (tx): Promise<IngestOutcome> => {
          if (await tx.hasEvent(message.eventId)) return 'duplicate';
          const replication = await tx.replication(event.data.replicationId);
          const target = await tx.snapshot(event.data.targetSnapshotId);
          const decision = recordReplicationProgress(
            replication.state,
            target.state,
            event,
            new Date().toISOString(),
          );
          if ('ignored' in decision) return { ignored: decision.ignored };
          const accountId = replication.state?.request.accountId;
          tx.withMetadata({ accountId });
          tx.append(
            streamIds.replication(event.data.replicationId),
            replication.version,
            [decision.replication],
            { eventId: message.eventId },
          );
          const source = replication.state!.request.sourceSnapshotId;
          if (decision.source.length > 0) {
            const sourceStream = await tx.snapshot(source);
            tx.append(streamIds.snapshot(source), sourceStream.version, decision.source);
          }
          tx.append(
            streamIds.snapshot(event.data.targetSnapshotId),
            target.version,
            decision.target,
          );
          return 'recorded';
        },
        { readYourWrites: false },
      );
    } catch (error) {
      if (error instanceof DuplicateEventError) return 'duplicate'; // the same message, ingested concurrently
      throw error;
    }
  }
}
