import { Injectable } from '@nestjs/common';
import {
  recordReplicationProgress,
  type ReplicationProgressEvent,
  streamIds,
} from '@snapferry/domain';
import type { ReplicationMessage } from '@snapferry/contracts';
import { DuplicateEventError } from '@snapferry/event-store';
import { type CatalogTransaction, CatalogTransactions } from '../transactions/catalog-transactions';
import { type ItemResult, SerialBatches } from './serial-batches';

export type IngestOutcome = 'recorded' | 'duplicate' | { ignored: string };

const progressOf = (message: ReplicationMessage) =>
  ({ type: message.type, data: message.data }) as ReplicationProgressEvent;

/**
 * Ingests replicator events into the catalog's store: deduplicated by event id, judged by
 * the replication's decider (stale, reordered or late events change nothing), and appended
 * with the source's and target's consequences. The messages that arrive together are
 * ingested in one transaction, in delivery order; if that transaction fails, each message
 * is tried on its own, so one bad message fails alone.
 */
@Injectable()
export class RecordProgress {
  private readonly batches = new SerialBatches<ReplicationMessage, IngestOutcome>((messages) =>
    this.ingestBatch(messages),
  );

  constructor(private readonly transactions: CatalogTransactions) {}

  handle(message: ReplicationMessage): Promise<IngestOutcome> {
    return this.batches.add(message);
  }

  private async ingestBatch(messages: ReplicationMessage[]): Promise<ItemResult<IngestOutcome>[]> {
    if (messages.length > 1) {
      try {
        return (await this.ingest(messages)).map((value) => ({ ok: true, value }));
      } catch {
        // Retried one by one below: the failing message fails alone, with its own error.
      }
    }
    const results: ItemResult<IngestOutcome>[] = [];
    for (const message of messages) {
      try {
        const [outcome] = await this.ingest([message]);
        results.push({ ok: true, value: outcome! });
      } catch (error) {
        // The same message, ingested concurrently (another catalog instance, a redelivery).
        if (error instanceof DuplicateEventError) results.push({ ok: true, value: 'duplicate' });
        else results.push({ ok: false, error });
      }
    }
    return results;
  }

  private ingest(messages: ReplicationMessage[]): Promise<IngestOutcome[]> {
    return this.transactions.transaction(
      {},
      async (tx) => {
        const seen = await tx.stored(messages.map((m) => m.eventId));
        // Two reads for the whole batch: the replications and targets, then the sources they name.
        const fresh = messages.filter((m) => !seen.has(m.eventId)).map(progressOf);
        await tx.preload(
          fresh.flatMap((e) => [
            streamIds.replication(e.data.replicationId),
            streamIds.snapshot(e.data.targetSnapshotId),
          ]),
        );
        const replications = await Promise.all(
          fresh.map(async (e) => (await tx.replication(e.data.replicationId)).state),
        );
        await tx.preload(
          replications.flatMap((r) => (r ? [streamIds.snapshot(r.request.sourceSnapshotId)] : [])),
        );
        const outcomes: IngestOutcome[] = [];
        for (const message of messages) {
          if (seen.has(message.eventId)) {
            outcomes.push('duplicate');
            continue;
          }
          seen.add(message.eventId); // a redelivery within the batch
          outcomes.push(await this.decide(tx, message));
        }
        return outcomes;
      },
      { readYourWrites: false },
    );
  }

  private async decide(
    tx: CatalogTransaction,
    message: ReplicationMessage,
  ): Promise<IngestOutcome> {
    const event = progressOf(message);
    const replication = await tx.replication(event.data.replicationId);
    const target = await tx.snapshot(event.data.targetSnapshotId);
    const decision = recordReplicationProgress(
      replication.state,
      target.state,
      event,
      new Date().toISOString(),
    );
    if ('ignored' in decision) return { ignored: decision.ignored };
    const metadata = {
      correlationId: message.correlationId,
      causationId: message.eventId,
      accountId: replication.state?.request.accountId,
    };
    tx.append(
      streamIds.replication(event.data.replicationId),
      replication.version,
      [decision.replication],
      { eventId: message.eventId, metadata },
    );
    const source = replication.state!.request.sourceSnapshotId;
    if (decision.source.length > 0) {
      const sourceStream = await tx.snapshot(source);
      tx.append(streamIds.snapshot(source), sourceStream.version, decision.source, { metadata });
    }
    tx.append(streamIds.snapshot(event.data.targetSnapshotId), target.version, decision.target, {
      metadata,
    });
    return 'recorded';
  }
}
