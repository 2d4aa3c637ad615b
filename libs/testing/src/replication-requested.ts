import { randomBytes, randomUUID } from 'node:crypto';
import { messageVersions, type ReplicationMessage } from '@snapferry/contracts';

/**
 * A ReplicationRequested message as the catalog's relay publishes it: alice's copy of the
 * stored snapshot `sourceSnapshotId` (ap-guangzhou) to `targetRegion`, with fresh event,
 * replication and target ids. `stored` is what storing the source answered (its manifest).
 */
export function replicationRequested(
  sourceSnapshotId: string,
  stored: { totalLength: number; imageDigest?: string | null },
  targetRegion: string,
): ReplicationMessage<'ReplicationRequested'> {
  return {
    eventId: randomUUID(),
    type: 'ReplicationRequested',
    version: messageVersions.ReplicationRequested,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    data: {
      replicationId: `repl-${randomBytes(4).toString('hex')}`,
      accountId: 'alice',
      sourceSnapshotId,
      sourceRegion: 'ap-guangzhou',
      targetSnapshotId: `snap-${randomBytes(4).toString('hex')}`,
      targetRegion,
      targetSnapshotName: 'copy',
      diskId: 'disk-00000001',
      diskSizeGiB: 1,
      sizeBytes: stored.totalLength,
      sourceDigest: stored.imageDigest ?? '',
      encrypted: false,
      requestedAt: new Date().toISOString(),
    },
  };
}
