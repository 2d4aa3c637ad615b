import type { ReplicationEvent } from '../replications/replication-events';
import { accountId, copy, later, now, ref } from '../spec-helpers';
import type { ReplicationView } from './replication-view';
import { evolveReplicationView } from './replication-view';

const project = (events: ReplicationEvent[]): ReplicationView | null =>
  events.reduce(evolveReplicationView, null);

describe('evolveReplicationView', () => {
  it('starts REQUESTED with the copy’s ends', () => {
    expect(project([copy.requested()])).toEqual({
      ...ref,
      accountId,
      sourceRegion: 'ap-guangzhou',
      state: 'REQUESTED',
      percent: 0,
      bytesTotal: 4096,
      bytesDone: 0,
      bytesTransferred: 0,
      chunksCopied: 0,
      chunksSkipped: 0,
      attempts: 0,
      error: null,
      deadline: null,
      deadlineMissedAt: null,
      requestedAt: now,
      startedAt: null,
      endedAt: null,
      updatedAt: now,
    });
  });

  it('follows a copy to COMPLETED', () => {
    const events = [copy.requested(), copy.started(), copy.progressed(1, 25)];
    expect(project(events)).toMatchObject({
      state: 'COPYING',
      percent: 25,
      bytesDone: 1024,
      attempts: 1,
      startedAt: now,
    });
    expect(project([...events, copy.verifying()])).toMatchObject({
      state: 'VERIFYING',
      percent: 100,
      bytesDone: 4096,
    });
    expect(project([...events, copy.verifying(), copy.completed()])).toMatchObject({
      state: 'COMPLETED',
      percent: 100,
      chunksCopied: 1,
      endedAt: later,
      error: null,
    });
  });

  it('never lowers the percent, and ignores progress after the end', () => {
    expect(
      project([copy.requested(), copy.progressed(2, 60), copy.progressed(1, 20)]),
    ).toMatchObject({ percent: 60, state: 'COPYING' });
    expect(project([copy.requested(), copy.completed(), copy.progressed(5, 50)])).toMatchObject({
      percent: 100,
      state: 'COMPLETED',
    });
  });

  it('records a failure with its reason', () => {
    expect(project([copy.requested(), copy.started(), copy.failed('disk full')])).toMatchObject({
      state: 'FAILED',
      error: 'disk full',
      endedAt: later,
    });
  });

  it('shows CANCELLING until the replicator confirms, even if it (re)starts meanwhile', () => {
    const cancelling = [copy.requested(), copy.cancelRequested(), copy.started(2)];
    expect(project(cancelling)).toMatchObject({ state: 'CANCELLING', attempts: 2 });
    expect(project([...cancelling, copy.cancelled()])).toMatchObject({
      state: 'CANCELLED',
      endedAt: later,
    });
    expect(project([copy.requested(), copy.completed(), copy.cancelRequested()])).toMatchObject({
      state: 'COMPLETED',
    });
  });

  it('has no document before the copy was requested', () => {
    expect(project([copy.started(), copy.progressed(1, 10)])).toBeNull();
  });
});
