import {
  accountId,
  copyEnded,
  copyRequested,
  deciderSpecification,
  later,
  now,
  registered,
  stored,
} from '../spec-helpers';
import type { SnapshotState } from './snapshot';
import { evolveSnapshot, initialSnapshotState } from './snapshot';
import type { SnapshotDeletion } from './snapshot-decisions';
import { deleteSnapshot, registerSnapshot, renameSnapshot } from './snapshot-decisions';
import type { SnapshotEvent } from './snapshot-events';

type DeleteSnapshot = { accountId: string; snapshotId: string; now: string };

const deletion = deciderSpecification<
  DeleteSnapshot,
  SnapshotState,
  SnapshotEvent,
  SnapshotDeletion
>({
  initialState: initialSnapshotState,
  evolve: evolveSnapshot,
  decide: (command, state) => deleteSnapshot(state, command),
});

const deleteSource: DeleteSnapshot = { accountId, snapshotId: 'snap-src00001', now: later };
const sourceDeleted = {
  type: 'SnapshotDeleted',
  data: { snapshotId: 'snap-src00001', accountId, region: 'ap-guangzhou', deletedAt: later },
} as const;

describe('deleteSnapshot', () => {
  const twoCopies = [
    registered(),
    stored(),
    copyRequested('ap-shanghai', 'repl-00000001'),
    copyRequested('ap-singapore', 'repl-00000002', 'snap-tgt00002'),
  ];

  it('locks a source while any copy from it is in flight, naming the regions', () => {
    const error = deletion
      .given(twoCopies)
      .when(deleteSource)
      .thenThrows('UnsupportedOperation.SnapshotCopying');
    expect(error.message).toContain('ap-shanghai, ap-singapore');
    deletion
      .given([...twoCopies, copyEnded('ap-shanghai', 'repl-00000001')])
      .when(deleteSource)
      .thenThrows('UnsupportedOperation.SnapshotCopying');
  });

  it('lifts the lock when the last copy ends, whatever its outcome', () => {
    deletion
      .given([
        ...twoCopies,
        copyEnded('ap-shanghai', 'repl-00000001', 'FAILED'),
        copyEnded('ap-singapore', 'repl-00000002', 'CANCELLED'),
      ])
      .when(deleteSource)
      .then({ deleted: sourceDeleted });
  });

  it('cancels the copy when a target still COPYING_FROM_REMOTE is deleted', () => {
    const target = registered({
      snapshotId: 'snap-tgt00001',
      region: 'ap-shanghai',
      copyOf: {
        replicationId: 'repl-00000001',
        sourceSnapshotId: 'snap-src00001',
        sourceRegion: 'ap-guangzhou',
      },
    });
    deletion
      .given([target])
      .when({ accountId, snapshotId: 'snap-tgt00001', now: later })
      .then({
        deleted: {
          type: 'SnapshotDeleted',
          data: { snapshotId: 'snap-tgt00001', accountId, region: 'ap-shanghai', deletedAt: later },
        },
        cancel: {
          type: 'ReplicationCancelRequested',
          data: {
            replicationId: 'repl-00000001',
            sourceSnapshotId: 'snap-src00001',
            targetSnapshotId: 'snap-tgt00001',
            targetRegion: 'ap-shanghai',
            reason: 'target snapshot deleted',
            requestedAt: later,
          },
        },
      });
    // Once its data is stored the target is an ordinary snapshot: nothing to cancel.
    deletion
      .given([target, stored('snap-tgt00001', 'ap-shanghai')])
      .when({ accountId, snapshotId: 'snap-tgt00001', now: later })
      .then({
        deleted: {
          type: 'SnapshotDeleted',
          data: { snapshotId: 'snap-tgt00001', accountId, region: 'ap-shanghai', deletedAt: later },
        },
      });
  });

  it("does not find another account's snapshot, or one already deleted", () => {
    deletion
      .given([registered(), stored()])
      .when({ ...deleteSource, accountId: 'acct-other' })
      .thenThrows('ResourceNotFound.Snapshot');
    deletion
      .given([registered(), stored(), sourceDeleted])
      .when(deleteSource)
      .thenThrows('ResourceNotFound.Snapshot');
  });
});

describe('snapshot names', () => {
  const command = {
    snapshotId: 'snap-src00001',
    accountId,
    region: 'ap-guangzhou',
    diskId: 'disk-data0001',
    diskUsage: 'DATA_DISK',
    diskSizeGiB: 10,
    now,
  } as const;

  it('registers names of up to 60 characters', () => {
    expect(registerSnapshot({ ...command, name: 'n'.repeat(60) }).data.name).toHaveLength(60);
    expect(() => registerSnapshot({ ...command, name: 'n'.repeat(61) })).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue.SnapshotName' }),
    );
  });

  it('renames within the limit, and renaming to the same name changes nothing', () => {
    const state = [registered(), stored()].reduce(evolveSnapshot, initialSnapshotState());
    expect(
      renameSnapshot(state, { accountId, snapshotId: 'snap-src00001', name: 'orders db', now }),
    ).toEqual([]);
    expect(() =>
      renameSnapshot(state, { accountId, snapshotId: 'snap-src00001', name: 'n'.repeat(61), now }),
    ).toThrow(expect.objectContaining({ code: 'InvalidParameterValue.SnapshotName' }));
  });
});
