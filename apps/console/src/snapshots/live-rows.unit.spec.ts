import type { Snapshot } from '../api/types';
import { logged, ref } from '../spec-events';
import { applyProgress, touchesList } from './live-rows';

const at = '2025-01-01T00:00:00.000Z';
const row = (over: Partial<Snapshot>): Snapshot => ({
  snapshotId: 'snap-target01',
  region: 'ap-shanghai',
  diskId: 'disk-aaaa0001',
  diskUsage: 'DATA_DISK',
  diskSizeGiB: 1,
  name: 'Copied snap-source01 from ap-guangzhou',
  encrypted: false,
  tags: [],
  deadline: null,
  deadlineMissedAt: null,
  root: null,
  baseSnapshotId: null,
  state: 'COPYING_FROM_REMOTE',
  percent: 10,
  sizeBytes: null,
  digest: null,
  copyFromRemote: true,
  sourceSnapshotId: 'snap-source01',
  sourceRegion: 'ap-guangzhou',
  replicationId: 'repl-aaaa0001',
  copyingToRegions: [],
  failureReason: null,
  createdAt: at,
  updatedAt: at,
  ...over,
});
const source = row({
  snapshotId: 'snap-source01',
  region: 'ap-guangzhou',
  state: 'NORMAL',
  percent: 100,
  copyFromRemote: false,
  sourceSnapshotId: null,
  sourceRegion: null,
  replicationId: null,
  copyingToRegions: [
    {
      region: 'ap-shanghai',
      snapshotId: 'snap-target01',
      replicationId: 'repl-aaaa0001',
      state: 'COPYING_FROM_REMOTE',
      percent: 10,
      deadline: null,
      deadlineMissedAt: null,
    },
  ],
});
const progressed = (percent: number) =>
  logged('ReplicationProgressed', {
    ...ref,
    sequence: 1,
    bytesTotal: 100,
    bytesDone: percent,
    bytesTransferred: percent,
    chunksCopied: 1,
    chunksSkipped: 0,
    percent,
    progressedAt: at,
  });

describe('live rows of a snapshot list', () => {
  it('moves the arriving copy and the source entry forward with a progress event', () => {
    const [target, src] = applyProgress([row({}), source], [progressed(42)]);
    expect(target).toMatchObject({ state: 'COPYING_FROM_REMOTE', percent: 42 });
    expect(src?.copyingToRegions[0]).toMatchObject({ percent: 42 });
    expect(target).not.toHaveProperty('accountId');
  });

  it('never moves a percent backwards (a replayed, older event changes nothing)', () => {
    const [target] = applyProgress([row({ percent: 60 })], [progressed(42)]);
    expect(target?.percent).toBe(60);
  });

  it('turns the copy to CHECKING_COPIED when verifying starts, and leaves other rows alone', () => {
    const other = row({ snapshotId: 'snap-other001', replicationId: 'repl-other001' });
    const [target, untouched] = applyProgress(
      [row({}), other],
      [logged('ReplicationVerifying', { ...ref, verifyingAt: at })],
    );
    expect(target).toMatchObject({ state: 'CHECKING_COPIED', percent: 100 });
    expect(untouched).toBe(other);
  });

  it('knows which events change a region list', () => {
    expect(touchesList(progressed(5), 'ap-shanghai', [])).toBe(true);
    expect(touchesList(progressed(5), 'ap-singapore', [])).toBe(false);
    expect(touchesList(progressed(5), 'ap-singapore', [source])).toBe(true);
  });
});
