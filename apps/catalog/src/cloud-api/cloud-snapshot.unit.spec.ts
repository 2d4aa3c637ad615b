import type { SnapshotResponse } from '../snapshots/snapshot-response';
import { cloudTime, toCloudSnapshot } from './cloud-snapshot';

const snapshot = (over: Partial<SnapshotResponse> = {}): SnapshotResponse => ({
  snapshotId: 'snap-tgt00001',
  region: 'ap-shanghai',
  diskId: 'disk-aaaa0001',
  diskUsage: 'DATA_DISK',
  diskSizeGiB: 10,
  name: 'Copied snap-src00001 from ap-guangzhou',
  encrypted: false,
  tags: [],
  state: 'COPYING_FROM_REMOTE',
  percent: 42,
  sizeBytes: null,
  digest: null,
  root: null,
  baseSnapshotId: null,
  copyFromRemote: true,
  sourceSnapshotId: 'snap-src00001',
  sourceRegion: 'ap-guangzhou',
  replicationId: 'repl-00000001',
  deadline: null,
  deadlineMissedAt: null,
  copyingToRegions: [],
  failureReason: null,
  createdAt: '2026-03-04T05:06:07.890Z',
  updatedAt: '2026-03-04T05:07:00.000Z',
  ...over,
});

describe("a snapshot in the cloud's Snapshot shape", () => {
  it('shows an arriving copy with its state, percent and origin', () => {
    expect(toCloudSnapshot(snapshot())).toMatchObject({
      SnapshotId: 'snap-tgt00001',
      SnapshotName: 'Copied snap-src00001 from ap-guangzhou',
      SnapshotState: 'COPYING_FROM_REMOTE',
      Percent: 42,
      CopyFromRemote: true,
      CopyingToRegions: [],
      DiskId: 'disk-aaaa0001',
      DiskUsage: 'DATA_DISK',
      DiskSize: 10,
      Encrypt: false,
      CreateTime: '2026-03-04 05:06:07',
      Placement: { Zone: 'ap-shanghai-1' },
      IsPermanent: true,
      SnapshotType: 'PRIVATE_SNAPSHOT',
    });
  });

  it('lists the regions a source is copying to, as region ids', () => {
    const source = snapshot({
      snapshotId: 'snap-src00001',
      region: 'ap-guangzhou',
      state: 'NORMAL',
      percent: 100,
      copyFromRemote: false,
      copyingToRegions: [
        {
          region: 'ap-shanghai',
          snapshotId: 'snap-tgt00001',
          replicationId: 'repl-00000001',
          state: 'COPYING_FROM_REMOTE',
          percent: 42,
          deadline: null,
          deadlineMissedAt: null,
        },
        {
          region: 'ap-singapore',
          snapshotId: 'snap-tgt00002',
          replicationId: 'repl-00000002',
          state: 'CHECKING_COPIED',
          percent: 100,
          deadline: null,
          deadlineMissedAt: null,
        },
      ],
    });
    expect(toCloudSnapshot(source)).toMatchObject({
      SnapshotState: 'NORMAL',
      Percent: 100,
      CopyingToRegions: ['ap-shanghai', 'ap-singapore'],
    });
  });

  it('shows FAILED, which the cloud has not, as TORECYCLE', () => {
    expect(toCloudSnapshot(snapshot({ state: 'FAILED' })).SnapshotState).toBe('TORECYCLE');
    expect(toCloudSnapshot(snapshot({ state: 'CHECKING_COPIED' })).SnapshotState).toBe(
      'CHECKING_COPIED',
    );
  });

  it('formats times as YYYY-MM-DD HH:mm:ss in UTC', () => {
    expect(cloudTime('2026-12-31T23:59:59.999Z')).toBe('2026-12-31 23:59:59');
    expect(cloudTime('2026-01-01T08:00:00+08:00')).toBe('2026-01-01 00:00:00');
  });
});
