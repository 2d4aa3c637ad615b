import { InvalidArgumentError } from 'commander';
import type { ReplicationResponse, SnapshotResponse } from '@snapferry/contracts';
import type { ReplicationStatus } from '@snapferry/domain';
import { copyEnded, progressDetail } from './copy';
import { errorLine, ApiError } from './errors';
import { formatAge, formatBytes } from './output';
import {
  deadline,
  diskSizeFor,
  idList,
  nonNegativeInt,
  position,
  positiveInt,
  regionList,
  regionLists,
  tag,
} from './parse';
import { copyCell, snapshotTable, tagFilters, tagsCell } from './snapshot';

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

  it('reads --tag key=value, splitting at the first = and gathering repeats', () => {
    expect(tag('tier=gold')).toEqual([{ key: 'tier', value: 'gold' }]);
    expect(tag('url=a=b', [{ key: 'tier', value: 'gold' }])).toEqual([
      { key: 'tier', value: 'gold' },
      { key: 'url', value: 'a=b' },
    ]);
    expect(tag('empty=')).toEqual([{ key: 'empty', value: '' }]);
    for (const bad of ['tier', '=gold', '']) expect(() => tag(bad)).toThrow(InvalidArgumentError);
    expect(() => tag('tier=silver', [{ key: 'tier', value: 'gold' }])).toThrow('given twice');
  });

  it('gathers repeated --disk and --to, refusing an id or region named twice', () => {
    expect(idList('disk-a, disk-b', ['disk-0'])).toEqual(['disk-0', 'disk-a', 'disk-b']);
    expect(() => idList(' , ')).toThrow(InvalidArgumentError);
    expect(() => idList('disk-a', ['disk-a'])).toThrow('named twice');
    expect(regionLists('ap-singapore', ['ap-shanghai'])).toEqual(['ap-shanghai', 'ap-singapore']);
    expect(() => regionLists('ap-shanghai', ['ap-shanghai'])).toThrow('named twice');
  });

  it('reads --deadline as an ISO time with its zone or a duration from now', () => {
    const now = () => new Date('2026-12-04T10:00:00.000Z');
    expect(deadline('30m', now)).toBe('2026-12-04T10:30:00.000Z');
    expect(deadline('90s', now)).toBe('2026-12-04T10:01:30.000Z');
    expect(deadline('2h', now)).toBe('2026-12-04T12:00:00.000Z');
    expect(deadline('1d', now)).toBe('2026-12-05T10:00:00.000Z');
    expect(deadline('2026-12-04T18:00:00Z')).toBe('2026-12-04T18:00:00.000Z');
    expect(deadline('2026-12-04T18:00+08:00')).toBe('2026-12-04T10:00:00.000Z');
    for (const bad of ['0m', '30', '30y', 'tomorrow', '2026-12-04T18:00:00', '2026-12-04', '-5m'])
      expect(() => deadline(bad, now)).toThrow(InvalidArgumentError);
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
    root: null,
    baseSnapshotId: null,
    copyFromRemote: false,
    sourceSnapshotId: null,
    sourceRegion: null,
    replicationId: null,
    deadline: null,
    deadlineMissedAt: null,
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
              deadline: null,
              deadlineMissedAt: null,
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

  it('formats ages as people read them', () => {
    expect(formatAge(null)).toBe('-');
    expect(formatAge(42.7)).toBe('42s');
    expect(formatAge(307)).toBe('5m 07s');
    expect(formatAge(3 * 3600 + 120)).toBe('3h 02m');
    expect(formatAge(2 * 86400 + 4 * 3600)).toBe('2d 04h');
  });

  it('turns --tag filters into tag:<key> parameters and shows tags in one cell', () => {
    expect(
      tagFilters([
        { key: 'tier', value: 'gold' },
        { key: 'env', value: 'prod' },
      ]),
    ).toEqual({
      'tag:tier': 'gold',
      'tag:env': 'prod',
    });
    expect(tagFilters()).toEqual({});
    expect(tagsCell([])).toBe('-');
    expect(
      tagsCell([
        { key: 'tier', value: 'gold' },
        { key: 'env', value: '' },
      ]),
    ).toBe('tier=gold\nenv=');
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
    expect(text).toMatch(/TAGS/);
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
    deadline: null,
    deadlineMissedAt: null,
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
