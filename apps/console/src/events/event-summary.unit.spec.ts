import { logged, ref } from '../spec-events';
import {
  matchesFilter,
  regionsOf,
  replicationIdOf,
  snapshotIdsOf,
  summarize,
} from './event-summary';

const requested = logged('ReplicationRequested', {
  ...ref,
  accountId: 'alice',
  sourceRegion: 'ap-guangzhou',
  targetSnapshotName: 'Copied snap-source01 from ap-guangzhou',
  diskId: 'disk-aaaa0001',
  diskSizeGiB: 1,
  sizeBytes: 2 * 1024 * 1024,
  sourceDigest: 'x',
  encrypted: false,
  requestedAt: '2025-01-01T00:00:00.000Z',
});
const renamed = logged('SnapshotRenamed', {
  snapshotId: 'snap-other001',
  region: 'ap-guangzhou',
  name: 'nightly',
  renamedAt: '2025-01-01T00:00:00.000Z',
});

describe('event log entries', () => {
  it('knows the snapshots, regions and replication an event is about', () => {
    expect(snapshotIdsOf(requested)).toEqual(['snap-source01', 'snap-target01']);
    expect(regionsOf(requested)).toEqual(['ap-guangzhou', 'ap-shanghai']);
    expect(replicationIdOf(requested)).toBe('repl-aaaa0001');
    expect(snapshotIdsOf(renamed)).toEqual(['snap-other001']);
    expect(replicationIdOf(renamed)).toBeUndefined();
  });

  it('filters by type and by snapshot (either end of a copy)', () => {
    expect(matchesFilter(requested, {})).toBe(true);
    expect(matchesFilter(requested, { type: 'ReplicationRequested' })).toBe(true);
    expect(matchesFilter(requested, { type: 'SnapshotRenamed' })).toBe(false);
    expect(matchesFilter(requested, { snapshotId: 'snap-target01' })).toBe(true);
    expect(matchesFilter(requested, { snapshotId: ' snap-source01 ' })).toBe(true);
    expect(matchesFilter(renamed, { snapshotId: 'snap-source01' })).toBe(false);
    expect(matchesFilter(renamed, { type: 'SnapshotRenamed', snapshotId: 'snap-other001' })).toBe(
      true,
    );
  });

  it('says what happened in words', () => {
    expect(summarize(requested)).toBe(
      'copy of snap-source01 (ap-guangzhou) to snap-target01 (ap-shanghai) requested',
    );
    expect(summarize(renamed)).toBe('snap-other001 renamed to “nightly”');
    expect(
      summarize(
        logged('ReplicationProgressed', {
          ...ref,
          sequence: 3,
          bytesTotal: 2 * 1024 * 1024,
          bytesDone: 1024 * 1024,
          bytesTransferred: 1024 * 1024,
          chunksCopied: 16,
          chunksSkipped: 0,
          percent: 50.4,
          progressedAt: '2025-01-01T00:00:00.000Z',
        }),
      ),
    ).toBe('50% · 1.00 MiB of 2.00 MiB');
  });
});
