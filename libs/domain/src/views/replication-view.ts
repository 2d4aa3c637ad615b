import type { ReplicationEvent } from '../replications/replication-events';
import { isTerminal, type ReplicationStatus } from '../replications/replication';

/** A copy job as `GET /v1/replications/{id}` shows it. */
export interface ReplicationView {
  replicationId: string;
  accountId: string;
  sourceSnapshotId: string;
  sourceRegion: string;
  targetSnapshotId: string;
  targetRegion: string;
  state: ReplicationStatus;
  percent: number;
  bytesTotal: number;
  bytesDone: number;
  bytesTransferred: number;
  chunksCopied: number;
  chunksSkipped: number;
  attempts: number;
  error: string | null;
  /** When the copy should be NORMAL by (absent on documents from before deadlines: none). */
  deadline?: string | null;
  /** When the deadline timer found the copy still in flight. */
  deadlineMissedAt?: string | null;
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
}

export function evolveReplicationView(
  doc: ReplicationView | null,
  event: ReplicationEvent,
): ReplicationView | null {
  if (event.type === 'ReplicationRequested') {
    const d = event.data;
    return {
      replicationId: d.replicationId,
      accountId: d.accountId,
      sourceSnapshotId: d.sourceSnapshotId,
      sourceRegion: d.sourceRegion,
      targetSnapshotId: d.targetSnapshotId,
      targetRegion: d.targetRegion,
      state: 'REQUESTED',
      percent: 0,
      bytesTotal: d.sizeBytes,
      bytesDone: 0,
      bytesTransferred: 0,
      chunksCopied: 0,
      chunksSkipped: 0,
      attempts: 0,
      error: null,
      deadline: d.deadline ?? null,
      deadlineMissedAt: null,
      requestedAt: d.requestedAt,
      startedAt: null,
      endedAt: null,
      updatedAt: d.requestedAt,
    };
  }
  if (!doc) return null;
  const ended = isTerminal(doc.state);
  switch (event.type) {
    case 'ReplicationStarted':
      return {
        ...doc,
        state: ended || doc.state === 'CANCELLING' ? doc.state : 'COPYING',
        attempts: Math.max(doc.attempts, event.data.attempt),
        bytesTotal: event.data.bytesTotal,
        startedAt: doc.startedAt ?? event.data.startedAt,
        updatedAt: event.data.startedAt,
      };
    case 'ReplicationProgressed': {
      const d = event.data;
      if (ended || d.percent < doc.percent) return doc;
      return {
        ...doc,
        state: doc.state === 'REQUESTED' ? 'COPYING' : doc.state,
        percent: d.percent,
        bytesTotal: d.bytesTotal,
        bytesDone: d.bytesDone,
        bytesTransferred: d.bytesTransferred,
        chunksCopied: d.chunksCopied,
        chunksSkipped: d.chunksSkipped,
        updatedAt: d.progressedAt,
      };
    }
    case 'ReplicationVerifying':
      return ended
        ? doc
        : {
            ...doc,
            state: 'VERIFYING',
            percent: 100,
            bytesDone: doc.bytesTotal,
            updatedAt: event.data.verifyingAt,
          };
    case 'ReplicationCompleted': {
      const d = event.data;
      return {
        ...doc,
        state: 'COMPLETED',
        percent: 100,
        bytesTotal: d.sizeBytes,
        bytesDone: d.sizeBytes,
        bytesTransferred: d.bytesTransferred,
        chunksCopied: d.chunksCopied,
        chunksSkipped: d.chunksSkipped,
        endedAt: d.completedAt,
        updatedAt: d.completedAt,
      };
    }
    case 'ReplicationFailed':
      return {
        ...doc,
        state: 'FAILED',
        error: event.data.reason,
        endedAt: event.data.failedAt,
        updatedAt: event.data.failedAt,
      };
    case 'ReplicationCancelRequested':
      return ended ? doc : { ...doc, state: 'CANCELLING', updatedAt: event.data.requestedAt };
    case 'ReplicationCancelled':
      return {
        ...doc,
        state: 'CANCELLED',
        endedAt: event.data.cancelledAt,
        updatedAt: event.data.cancelledAt,
      };
    case 'ReplicationDeadlineMissed':
      return { ...doc, deadlineMissedAt: event.data.missedAt, updatedAt: event.data.missedAt };
  }
}
