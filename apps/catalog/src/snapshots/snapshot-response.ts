import type { SnapshotResponse } from '@snapferry/contracts';
import type { SnapshotView } from '@snapferry/domain';

export type { SnapshotResponse };

/** What the API shows of a snapshot (no internal fields). */
export function toSnapshotResponse(view: SnapshotView): SnapshotResponse {
  return {
    snapshotId: view.snapshotId,
    region: view.region,
    diskId: view.diskId,
    diskUsage: view.diskUsage,
    diskSizeGiB: view.diskSizeGiB,
    name: view.name,
    encrypted: view.encrypted,
    tags: (view.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    state: view.state,
    percent: Math.floor(view.percent),
    sizeBytes: view.sizeBytes,
    digest: view.digest,
    root: view.root ?? null,
    baseSnapshotId: view.baseSnapshotId ?? null,
    copyFromRemote: view.copyFromRemote,
    sourceSnapshotId: view.sourceSnapshotId,
    sourceRegion: view.sourceRegion,
    replicationId: view.replicationId,
    deadline: view.deadline ?? null,
    deadlineMissedAt: view.deadlineMissedAt ?? null,
    copyingToRegions: view.copyingToRegions.map((c) => ({
      region: c.region,
      snapshotId: c.snapshotId,
      replicationId: c.replicationId,
      state: c.state,
      percent: Math.floor(c.percent),
      deadline: c.deadline ?? null,
      deadlineMissedAt: c.deadlineMissedAt ?? null,
    })),
    failureReason: view.failureReason,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  };
}
