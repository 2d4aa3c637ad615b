import { accountId, now, registered, stored } from '../spec-helpers';
import type { SnapshotEvent } from './snapshot-events';
import { evolveSnapshot, initialSnapshotState } from './snapshot';
import { assertChangesAllowed, registerSnapshot } from './snapshot-decisions';

const stateOf = (events: SnapshotEvent[]) => events.reduce(evolveSnapshot, initialSnapshotState());
const normalBase = () => stateOf([registered(), stored()]);
const command = {
  snapshotId: 'snap-next0001',
  accountId,
  region: 'ap-guangzhou',
  diskId: 'disk-data0001',
  diskUsage: 'DATA_DISK',
  diskSizeGiB: 10,
  baseSnapshotId: 'snap-src00001',
  now,
} as const;
const code = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no refusal';
};

describe('registering on a base snapshot', () => {
  it('records the base when it is the account’s own, NORMAL, in the region, on a disk no larger', () => {
    const event = registerSnapshot(command, normalBase());
    expect(event.data.baseSnapshotId).toBe('snap-src00001');
    expect(registerSnapshot({ ...command, diskSizeGiB: 20 }, normalBase()).data).toMatchObject({
      baseSnapshotId: 'snap-src00001',
      diskSizeGiB: 20,
    });
    expect(stateOf([event])).toMatchObject({ status: 'CREATING', baseSnapshotId: 'snap-src00001' });
  });

  it.each([
    ['unknown', null, 'ResourceNotFound.BaseSnapshot'],
    [
      "another account's",
      stateOf([registered({ accountId: 'acct-x' }), stored()]),
      'ResourceNotFound.BaseSnapshot',
    ],
    [
      'deleted',
      stateOf([
        registered(),
        stored(),
        {
          type: 'SnapshotDeleted',
          data: { snapshotId: 'snap-src00001', accountId, region: 'ap-guangzhou', deletedAt: now },
        },
      ]),
      'ResourceNotFound.BaseSnapshot',
    ],
    ['still CREATING', stateOf([registered()]), 'UnsupportedOperation.BaseSnapshotNotNormal'],
    [
      'in another region',
      stateOf([registered({ region: 'ap-shanghai' }), stored()]),
      'InvalidParameterValue.BaseSnapshot',
    ],
    [
      'on a larger disk',
      stateOf([registered({ diskSizeGiB: 11 }), stored()]),
      'InvalidParameterValue.BaseSnapshot',
    ],
  ])('refuses a base that is %s', (_what, base, expected) => {
    expect(code(() => registerSnapshot(command, base))).toBe(expected);
  });
});

describe('sending changes', () => {
  const next = stateOf([registerSnapshot(command, normalBase())]);

  it('is allowed while the snapshot is CREATING and its base NORMAL', () => {
    expect(
      assertChangesAllowed(next, normalBase(), accountId, 'snap-next0001').base.snapshotId,
    ).toBe('snap-src00001');
  });

  it('is refused without a base, with the base deleted meanwhile, or once the data is stored', () => {
    const plain = stateOf([registerSnapshot({ ...command, baseSnapshotId: undefined })]);
    expect(code(() => assertChangesAllowed(plain, null, accountId, 'snap-next0001'))).toBe(
      'UnsupportedOperation.NoBaseSnapshot',
    );
    const deleted = stateOf([
      registered(),
      stored(),
      {
        type: 'SnapshotDeleted',
        data: { snapshotId: 'snap-src00001', accountId, region: 'ap-guangzhou', deletedAt: now },
      },
    ]);
    expect(code(() => assertChangesAllowed(next, deleted, accountId, 'snap-next0001'))).toBe(
      'UnsupportedOperation.BaseSnapshotDeleted',
    );
    const done = stateOf([registerSnapshot(command, normalBase()), stored('snap-next0001')]);
    expect(code(() => assertChangesAllowed(done, normalBase(), accountId, 'snap-next0001'))).toBe(
      'UnsupportedOperation.DataAlreadyStored',
    );
  });
});
