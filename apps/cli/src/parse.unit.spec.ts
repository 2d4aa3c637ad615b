import { InvalidArgumentError } from 'commander';
import type { ReplicationResponse, SnapshotResponse } from '@snapferry/contracts';
import type { ReplicationStatus } from '@snapferry/domain';
import { copyEnded, progressDetail } from './copy';
import { errorLine, ApiError } from './errors';
import { formatBytes } from './output';
import { diskSizeFor, nonNegativeInt, position, positiveInt, regionList } from './parse';
import { copyCell, snapshotTable } from './snapshot';

describe('option parsers', () => {
  it('splits --to into regions, refusing empty and repeated ones', () => {
    expect(regionList('ap-shanghai, ap-singapore')).toEqual(['ap-shanghai', 'ap-singapore']);
    expect(() => regionList(' , ')).toThrow(InvalidArgumentError);
    expect(() => regionList('ap-shanghai,ap-shanghai')).toThrow('named twice');
  });

  it('accepts whole numbers only', () => {
    expect(nonNegativeInt('0')).toBe(0);
    expect(positiveInt('20')).toBe(20);
    for (const bad of ['-1', '1.5', 'x', '', '1e3'])
      expect(() => nonNegativeInt(bad)).toThrow(InvalidArgumentError);
    expect(() => positiveInt('0')).toThrow(InvalidArgumentError);
    expect(position('123')).toBe('123');
    expect(() => position('abc')).toThrow(InvalidArgumentError);
  });

  it('rounds the disk size up to whole GiB, at least 1', () => {
    expect(diskSizeFor(0)).toBe(1);
    expect(diskSizeFor(1024 ** 3)).toBe(1);
    expect(diskSizeFor(1024 ** 3 + 1)).toBe(2);
  });
});

describe('formatting', () => {
  it('prints errors on one line with the API code', () => {
    expect(
      errorLine(
        new ApiError(
          409,
          'UnsupportedOperation.SnapshotCopying',
          'snapshot snap-1 is\nbeing copied',
        ),
      ),
    ).toBe('error: UnsupportedOperation.SnapshotCopying: snapshot snap-1 is being copied');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(null)).toBe('-');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(200 * 1024 ** 2)).toBe('200.0 MiB');
  });

  const snapshot = (over: Partial<SnapshotResponse> = {}): SnapshotResponse => ({
    snapshotId: 'snap-aaaa0001',
    region: 'ap-guangzhou',
    diskId: 'disk-aaaa0001',
    diskUsage: 'DATA_DISK',
    diskSizeGiB: 1,
    name: 'nightly',
    encrypted: false,
    tags: [],
    state: 'NORMAL',
    percent: 100,
    sizeBytes: 2048,
    digest: null,
    copyFromRemote: false,
    sourceSnapshotId: null,
    sourceRegion: null,
    replicationId: null,
    copyingToRegions: [],
    failureReason: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...over,
  });

  it('shows where a snapshot is copying to, or where it comes from', () => {
    expect(copyCell(snapshot())).toBe('-');
    expect(
      copyCell(
        snapshot({
          copyingToRegions: [
            {
              region: 'ap-shanghai',
              snapshotId: 'snap-b',
              replicationId: 'repl-1',
              state: 'COPYING_FROM_REMOTE',
              percent: 40,
            },
          ],
        }),
      ),
    ).toBe('to ap-shanghai COPYING_FROM_REMOTE 40%');
    expect(
      copyCell(
        snapshot({
          copyFromRemote: true,
          sourceRegion: 'ap-guangzhou',
          sourceSnapshotId: 'snap-x',
        }),
      ),
    ).toBe('from ap-guangzhou/snap-x');
  });

  it('lists a region as a table with a paging footer', () => {
    const text = snapshotTable({
      region: 'ap-guangzhou',
      total: 7,
      offset: 5,
      limit: 2,
      snapshots: [snapshot()],
    });
    expect(text).toMatch(/SNAPSHOT.*NAME.*STATE/);
    expect(text).toMatch(/snap-aaaa0001.*nightly.*NORMAL.*2.00 KiB/);
    expect(text).toMatch(/ap-guangzhou: 6-6 of 7$/);
    expect(text).not.toMatch(/\u001b\[/); // no colour codes in pipes
  });
});

describe('copy --wait end condition', () => {
  const replication = (state: ReplicationStatus): ReplicationResponse => ({
    replicationId: 'repl-1',
    sourceSnapshotId: 'snap-a',
    sourceRegion: 'ap-guangzhou',
    targetSnapshotId: 'snap-b',
    targetRegion: 'ap-shanghai',
    state,
    percent: 50,
    bytesTotal: 2048,
    bytesDone: 1024,
    bytesCopied: 1024,
    bytesTransferred: 1024,
    chunksCopied: 1,
    chunksSkipped: 0,
    attempts: 1,
    error: null,
    requestedAt: '',
    startedAt: null,
    endedAt: null,
    updatedAt: '',
  });
  const target = (state: string) => ({ state }) as SnapshotResponse;

  it('waits for a completed copy to read NORMAL; failed and cancelled ones end at once', () => {
    expect(copyEnded(replication('COPYING'), target('COPYING_FROM_REMOTE'))).toBe(false);
    expect(copyEnded(replication('COMPLETED'), target('CHECKING_COPIED'))).toBe(false);
    expect(copyEnded(replication('COMPLETED'), target('NORMAL'))).toBe(true);
    expect(copyEnded(replication('FAILED'), target('FAILED'))).toBe(true);
    expect(copyEnded(replication('CANCELLING'), null)).toBe(false);
    expect(copyEnded(replication('CANCELLED'), null)).toBe(true);
    expect(progressDetail(replication('COPYING'), target('COPYING_FROM_REMOTE'))).toBe(
      'COPYING (COPYING_FROM_REMOTE) 1.00 KiB/2.00 KiB',
    );
  });
});
