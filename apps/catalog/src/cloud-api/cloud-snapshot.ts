import type { SnapshotViewState } from '@snapferry/domain';
import type { SnapshotResponse } from '../snapshots/snapshot-response';

/**
 * Our snapshot states in the cloud's vocabulary. `FAILED` (a copy that failed: its target can
 * never become usable) has no twin; it shows as `TORECYCLE`, the cloud's state for a snapshot
 * that cannot be used and waits to be removed — delete it and copy again. The reason stays in
 * our v1 API (`failureReason`) and the event log.
 */
export const cloudStates: Record<SnapshotViewState, string> = {
  CREATING: 'CREATING',
  NORMAL: 'NORMAL',
  COPYING_FROM_REMOTE: 'COPYING_FROM_REMOTE',
  CHECKING_COPIED: 'CHECKING_COPIED',
  FAILED: 'TORECYCLE',
};

/** The cloud's `snapshot-state` filter values and the states they select (ROLLBACKING: none). */
export const statesOfCloudState: Record<string, SnapshotViewState[]> = {
  CREATING: ['CREATING'],
  NORMAL: ['NORMAL'],
  COPYING_FROM_REMOTE: ['COPYING_FROM_REMOTE'],
  CHECKING_COPIED: ['CHECKING_COPIED'],
  TORECYCLE: ['FAILED'],
  ROLLBACKING: [],
};

/** `YYYY-MM-DD HH:mm:ss`, the cloud's time format, in UTC. */
export const cloudTime = (iso: string): string =>
  new Date(iso).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Snapferry has regions but no availability zones: every snapshot is placed in its region's
 * zone 1 (`ap-guangzhou-1`), which keeps the cloud's `<region>-<n>` form.
 */
export const zoneOf = (region: string): string => `${region}-1`;

/** One snapshot as the cloud's `DescribeSnapshots` shows it (its `Snapshot` structure). */
export function toCloudSnapshot(snapshot: SnapshotResponse) {
  return {
    SnapshotId: snapshot.snapshotId,
    SnapshotName: snapshot.name,
    SnapshotState: cloudStates[snapshot.state],
    Percent: snapshot.percent,
    CopyFromRemote: snapshot.copyFromRemote,
    CopyingToRegions: snapshot.copyingToRegions.map((c) => c.region),
    DiskId: snapshot.diskId,
    DiskUsage: snapshot.diskUsage,
    DiskSize: snapshot.diskSizeGiB,
    Encrypt: snapshot.encrypted,
    CreateTime: cloudTime(snapshot.createdAt),
    LatestModifyTime: cloudTime(snapshot.updatedAt),
    Placement: { Zone: zoneOf(snapshot.region), ProjectId: 0 },
    SnapshotType: 'PRIVATE_SNAPSHOT',
    SnapshotMode: 'STANDARD_SNAPSHOT',
    IsPermanent: true,
    DeadlineTime: null,
    IsLocked: false,
    ShareReference: 0,
    TimeStartShare: null,
    Images: [],
    ImageCount: 0,
    Tags: snapshot.tags.map((t) => ({ Key: t.key, Value: t.value })),
  };
}
export type CloudSnapshot = ReturnType<typeof toCloudSnapshot>;
