import { logged, ref } from '../spec-events';
import { timelineOf } from './timeline';

const at = '2025-01-01T00:00:00.000Z';
const stream = 'replication-repl-aaaa0001';
const progress = (n: number, percent: number) =>
  logged(
    'ReplicationProgressed',
    {
      ...ref,
      sequence: n,
      bytesTotal: 100,
      bytesDone: percent,
      bytesTransferred: percent,
      chunksCopied: n,
      chunksSkipped: 0,
      percent,
      progressedAt: at,
    },
    stream,
    2 + n,
  );

describe('a replication timeline', () => {
  const requested = logged(
    'ReplicationRequested',
    {
      ...ref,
      accountId: 'alice',
      sourceRegion: 'ap-guangzhou',
      targetSnapshotName: 'x',
      diskId: 'disk-aaaa0001',
      diskSizeGiB: 1,
      sizeBytes: 100,
      sourceDigest: 'x',
      encrypted: false,
      requestedAt: at,
    },
    stream,
    1,
  );
  const started = logged(
    'ReplicationStarted',
    { ...ref, attempt: 1, bytesTotal: 100, chunksTotal: 4, startedAt: at },
    stream,
    2,
  );
  const p1 = progress(1, 25);
  const p2 = progress(2, 50);
  const p3 = progress(3, 99.5);
  const verifying = logged('ReplicationVerifying', { ...ref, verifyingAt: at }, stream, 6);
  const completed = logged(
    'ReplicationCompleted',
    {
      ...ref,
      sizeBytes: 100,
      digest: 'x',
      chunkCount: 4,
      bytesTransferred: 100,
      chunksCopied: 4,
      chunksSkipped: 0,
      completedAt: at,
    },
    stream,
    7,
  );

  it('orders by stream position, shows each event once and folds a run of progress into one entry', () => {
    const entries = timelineOf([requested, p2, started, p1, p3, p2, verifying, completed, started]);
    expect(entries.map((e) => (e.kind === 'event' ? e.type : 'progress'))).toEqual([
      'ReplicationRequested',
      'ReplicationStarted',
      'progress',
      'ReplicationVerifying',
      'ReplicationCompleted',
    ]);
    expect(entries[2]).toMatchObject({
      kind: 'progress',
      updates: 3,
      fromPercent: 25,
      toPercent: 99,
    });
    expect(entries[4]).toMatchObject({
      text: 'completed: 100 B, 4 chunks copied, 0 already there',
    });
  });

  it('is empty for no events', () => {
    expect(timelineOf([])).toEqual([]);
  });
});
