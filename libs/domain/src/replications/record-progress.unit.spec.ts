import type { SnapshotState } from '../snapshots/snapshot';
import { evolveSnapshot } from '../snapshots/snapshot';
import type { CopyOutcome, SnapshotCopyFailed, SnapshotEvent } from '../snapshots/snapshot-events';
import {
  accountId,
  copy,
  copyEnded as sourceCopyEnded,
  deciderSpecification,
  later,
  ref,
  stored,
  targetRegistered,
} from '../spec-helpers';
import type { ProgressDecision } from './record-progress';
import { recordReplicationProgress } from './record-progress';
import type { ReplicationState } from './replication';
import { evolveReplication } from './replication';
import type { ReplicationEvent, ReplicationProgressEvent } from './replication-events';

/** Two streams feed the decision: the replication and its target snapshot. */
type State = { replication: ReplicationState; target: SnapshotState };
const isSnapshotEvent = (e: ReplicationEvent | SnapshotEvent): e is SnapshotEvent =>
  e.type.startsWith('Snapshot');

const progress = deciderSpecification<
  ReplicationProgressEvent,
  State,
  ReplicationEvent | SnapshotEvent,
  ProgressDecision
>({
  initialState: () => ({ replication: null, target: null }),
  evolve: (state, event) =>
    isSnapshotEvent(event)
      ? { ...state, target: evolveSnapshot(state.target, event) }
      : { ...state, replication: evolveReplication(state.replication, event) },
  decide: (event, state) =>
    recordReplicationProgress(state.replication, state.target, event, later),
});

const requested = [copy.requested(), targetRegistered()];
const ignored = { ignored: expect.any(String) };
const accepted = (event: ReplicationProgressEvent) => ({
  replication: event,
  source: [],
  target: [],
});
const copyEnded = (outcome: CopyOutcome) =>
  sourceCopyEnded('ap-shanghai', ref.replicationId, outcome);

describe('recordReplicationProgress', () => {
  it('ignores events for a replication it does not know', () => {
    progress.given([]).when(copy.started()).then(ignored);
  });

  it('accepts start and progress, which change only the replication stream', () => {
    progress.given(requested).when(copy.started()).then(accepted(copy.started()));
    progress
      .given([...requested, copy.started()])
      .when(copy.progressed(1, 10))
      .then(accepted(copy.progressed(1, 10)));
    progress
      .given([...requested, copy.started(), copy.progressed(1, 10)])
      .when(copy.verifying())
      .then(accepted(copy.verifying()));
  });

  it('ignores a stale or repeated progress sequence', () => {
    const given = [...requested, copy.started(), copy.progressed(1, 10), copy.progressed(2, 40)];
    progress.given(given).when(copy.progressed(1, 50)).then({ ignored: 'stale progress #1' });
    progress.given(given).when(copy.progressed(2, 40)).then({ ignored: 'stale progress #2' });
    progress
      .given(given)
      .when(copy.progressed(3, 60))
      .then(accepted(copy.progressed(3, 60)));
  });

  it('never lets the percent go backwards', () => {
    const given = [...requested, copy.started(), copy.progressed(2, 40)];
    progress
      .given(given)
      .when(copy.progressed(3, 30))
      .then({ ignored: 'progress would go backwards' });
    progress
      .given(given)
      .when(copy.progressed(3, 40))
      .then(accepted(copy.progressed(3, 40)));
  });

  it('ignores progress and a late start once verifying', () => {
    const given = [...requested, copy.started(), copy.progressed(1, 90), copy.verifying()];
    progress.given(given).when(copy.progressed(2, 95)).then(ignored);
    progress.given(given).when(copy.started(2)).then(ignored);
  });

  it.each([
    ['Completed', copy.completed()],
    ['Failed', copy.failed()],
    ['Cancelled', copy.cancelled()],
  ])('takes nothing after %s', (_, terminal) => {
    for (const next of [
      copy.started(2),
      copy.progressed(9, 99),
      copy.verifying(),
      copy.completed(),
      copy.failed(),
      copy.cancelled(),
    ])
      progress
        .given([...requested, copy.started(), terminal])
        .when(next)
        .then(ignored);
  });

  it('stays ended when a cancel is requested after the end (a target deleted in between)', () => {
    progress
      .given([...requested, copy.completed(), copy.cancelRequested()])
      .when(copy.completed())
      .then(ignored);
    progress
      .given([...requested, copy.failed(), copy.cancelRequested()])
      .when(copy.cancelled())
      .then(ignored);
  });

  it('accepts Completed before Started, ending the source copy and storing the target data', () => {
    progress
      .given(requested)
      .when(copy.completed())
      .then({
        replication: copy.completed(),
        source: [copyEnded('COMPLETED')],
        target: [
          {
            type: 'SnapshotDataStored',
            data: {
              snapshotId: ref.targetSnapshotId,
              region: 'ap-shanghai',
              sizeBytes: 4096,
              digest: 'sha256:abc',
              chunkCount: 1,
              storedAt: later,
            },
          },
        ],
      });
  });

  it('fails a live target when the copy fails or is cancelled', () => {
    const failedTarget = (reason: string): SnapshotCopyFailed => ({
      type: 'SnapshotCopyFailed',
      data: {
        snapshotId: ref.targetSnapshotId,
        region: 'ap-shanghai',
        replicationId: ref.replicationId,
        reason,
        failedAt: later,
      },
    });
    progress
      .given([...requested, copy.started()])
      .when(copy.failed('disk full'))
      .then({
        replication: copy.failed('disk full'),
        source: [copyEnded('FAILED')],
        target: [failedTarget('disk full')],
      });
    progress
      .given([...requested, copy.started()])
      .when(copy.cancelled())
      .then({
        replication: copy.cancelled(),
        source: [copyEnded('CANCELLED')],
        target: [failedTarget('copy cancelled')],
      });
  });

  it('ends the source copy but leaves a deleted target alone', () => {
    const deleted: SnapshotEvent = {
      type: 'SnapshotDeleted',
      data: {
        snapshotId: ref.targetSnapshotId,
        accountId,
        region: 'ap-shanghai',
        deletedAt: later,
      },
    };
    const given = [...requested, copy.started(), deleted, copy.cancelRequested()];
    progress
      .given(given)
      .when(copy.cancelled())
      .then({ replication: copy.cancelled(), source: [copyEnded('CANCELLED')], target: [] });
    progress
      .given(given)
      .when(copy.completed())
      .then({ replication: copy.completed(), source: [copyEnded('COMPLETED')], target: [] });
  });

  it('does not store data twice into a target that is already NORMAL', () => {
    const given = [...requested, stored(ref.targetSnapshotId, 'ap-shanghai')];
    progress
      .given(given)
      .when(copy.completed())
      .then({ replication: copy.completed(), source: [copyEnded('COMPLETED')], target: [] });
  });
});
