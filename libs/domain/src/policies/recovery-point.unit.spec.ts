import fc from 'fast-check';
import {
  breachesAt,
  evolveRecoveryPointObjective,
  initialRecoveryPointObjective,
  judgeRecoveryPoint,
  recoveryPointState,
} from './recovery-point';
import type { RecoveryPointEvent } from './policy-events';

const recoversTo = '2024-05-01T10:00:00.000Z';
const plus = (seconds: number) => new Date(Date.parse(recoversTo) + seconds * 1000).toISOString();
const point = {
  policyId: 'pol-abcd1234',
  accountId: 'acct-owner',
  diskId: 'disk-aaaa0001',
  region: 'ap-shanghai',
  sourceRegion: 'ap-guangzhou',
  snapshotId: 'snap-00000001',
  recoversTo,
  rpoMinutes: 10,
};

describe('recovery points', () => {
  it('is OK, then AT_RISK from 80 % of the objective, then BREACHED at it; NONE without a copy', () => {
    expect(recoveryPointState(recoversTo, 10, plus(479))).toBe('OK');
    expect(recoveryPointState(recoversTo, 10, plus(480))).toBe('AT_RISK');
    expect(recoveryPointState(recoversTo, 10, plus(599))).toBe('AT_RISK');
    expect(recoveryPointState(recoversTo, 10, plus(600))).toBe('BREACHED');
    expect(recoveryPointState(undefined, 10, plus(600))).toBe('NONE');
    expect(breachesAt(recoversTo, 10)).toBe(plus(600));
  });

  it('records the breach once, and the restoration once a newer copy is young again', () => {
    const breached = judgeRecoveryPoint(initialRecoveryPointObjective(), point, plus(600));
    expect(breached).toEqual([
      {
        type: 'RecoveryPointObjectiveBreached',
        data: { ...point, ageSeconds: 600, breachedAt: plus(600) },
      },
    ]);
    const state = breached.reduce(evolveRecoveryPointObjective, initialRecoveryPointObjective());
    expect(judgeRecoveryPoint(state, point, plus(700))).toEqual([]);
    const fresh = { ...point, snapshotId: 'snap-00000002', recoversTo: plus(650) };
    expect(judgeRecoveryPoint(state, fresh, plus(700))).toEqual([
      {
        type: 'RecoveryPointObjectiveRestored',
        data: { ...fresh, ageSeconds: 50, restoredAt: plus(700) },
      },
    ]);
  });

  it('alternates breaches and restorations, whatever order the checks come in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            copyAt: fc.integer({ min: 0, max: 3000 }),
            checkAfter: fc.integer({ min: 0, max: 1200 }),
          }),
          { maxLength: 40 },
        ),
        (checks) => {
          let state = initialRecoveryPointObjective();
          const events: RecoveryPointEvent[] = [];
          for (const { copyAt, checkAfter } of checks) {
            const decided = judgeRecoveryPoint(
              state,
              { ...point, recoversTo: plus(copyAt) },
              plus(copyAt + checkAfter),
            );
            expect(decided.length).toBeLessThanOrEqual(1);
            for (const e of decided) {
              state = evolveRecoveryPointObjective(state, e);
              events.push(e);
            }
            expect(state.breached).toBe(checkAfter >= 600);
          }
          events.forEach((e, i) =>
            expect(e.type).toBe(
              i % 2 === 0 ? 'RecoveryPointObjectiveBreached' : 'RecoveryPointObjectiveRestored',
            ),
          );
        },
      ),
    );
  });
});
