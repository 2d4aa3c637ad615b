import type { SnapshotState } from '../snapshots/snapshot';
import type {
  CopyOutcome,
  SnapshotCopyEnded,
  SnapshotCopyFailed,
  SnapshotDataStored,
} from '../snapshots/snapshot-events';
import type { ReplicationProgressEvent } from './replication-events';
import type { ReplicationState } from './replication';
import { isTerminal } from './replication';

/** What ingesting one replicator event changes, stream by stream; `ignored` says why nothing does. */
export type ProgressDecision =
  | { ignored: string }
  | {
      replication: ReplicationProgressEvent;
      source: SnapshotCopyEnded[];
      target: (SnapshotDataStored | SnapshotCopyFailed)[];
    };

const outcomes: Partial<Record<ReplicationProgressEvent['type'], CopyOutcome>> = {
  ReplicationCompleted: 'COMPLETED',
  ReplicationFailed: 'FAILED',
  ReplicationCancelled: 'CANCELLED',
};

/**
 * Decides whether a replicator's event moves the copy. Messages arrive at least once and
 * in any order: nothing follows a terminal event, a stale progress update (older sequence
 * or lower percent) is dropped, and a `Completed` may arrive before `Started`.
 */
export function recordReplicationProgress(
  replication: ReplicationState,
  target: SnapshotState,
  event: ReplicationProgressEvent,
  now: string,
): ProgressDecision {
  if (!replication) return { ignored: `unknown replication ${event.data.replicationId}` };
  if (isTerminal(replication.status))
    return { ignored: `replication already ${replication.status}` };
  if (event.type === 'ReplicationProgressed') {
    if (event.data.sequence <= replication.sequence)
      return { ignored: `stale progress #${event.data.sequence}` };
    if (event.data.percent < replication.percent) return { ignored: `progress would go backwards` };
    if (replication.status === 'VERIFYING') return { ignored: 'already verifying' };
  }
  if (event.type === 'ReplicationStarted' && replication.status === 'VERIFYING')
    return { ignored: 'already verifying' };

  const outcome = outcomes[event.type];
  if (!outcome) return { replication: event, source: [], target: [] };

  const { request } = replication;
  const base = {
    region: request.sourceRegion,
    replicationId: request.replicationId,
    targetRegion: request.targetRegion,
  };
  const source: SnapshotCopyEnded[] = [
    {
      type: 'SnapshotCopyEnded',
      data: { snapshotId: request.sourceSnapshotId, ...base, outcome, endedAt: now },
    },
  ];
  const targetAlive = target !== null && target.status === 'COPYING_FROM_REMOTE';
  if (!targetAlive) return { replication: event, source, target: [] };
  if (event.type === 'ReplicationCompleted') {
    const { sizeBytes, digest, root, chunkCount } = event.data;
    return {
      replication: event,
      source,
      target: [
        {
          type: 'SnapshotDataStored',
          data: {
            snapshotId: request.targetSnapshotId,
            region: request.targetRegion,
            sizeBytes,
            ...(digest !== undefined ? { digest } : {}),
            ...(root !== undefined ? { root } : {}),
            chunkCount,
            storedAt: now,
          },
        },
      ],
    };
  }
  const reason = event.type === 'ReplicationFailed' ? event.data.reason : 'copy cancelled';
  return {
    replication: event,
    source,
    target: [
      {
        type: 'SnapshotCopyFailed',
        data: {
          snapshotId: request.targetSnapshotId,
          region: request.targetRegion,
          replicationId: request.replicationId,
          reason,
          failedAt: now,
        },
      },
    ],
  };
}
