import fc from 'fast-check';
import {
  planPolicyCopy,
  policyCopyEnded,
  policyCopyQueued,
  policyCopyStarted,
  type PolicySnapshot,
  type PolicyTarget,
} from './copy-plan';

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();
const snap = (n: number, minute = n): PolicySnapshot => ({
  snapshotId: `snap-${String(n).padStart(8, '0')}`,
  createdAt: at(minute),
});

describe('planPolicyCopy', () => {
  it('requests a copy of the first snapshot', () => {
    expect(planPolicyCopy({}, snap(1), 60, at(1))).toEqual({ action: 'request' });
  });

  it('skips a snapshot within the minimum interval of the last request', () => {
    const target = policyCopyStarted({}, snap(0), 'repl-00000000', at(0));
    const ended = policyCopyEnded(target, 'repl-00000000').target;
    expect(planPolicyCopy(ended, snap(4), 5, at(4))).toEqual({
      action: 'skip',
      reason: 'interval',
    });
    expect(planPolicyCopy(ended, snap(5), 5, at(5))).toEqual({ action: 'request' });
  });

  it('never copies a snapshot older than one already requested (the newest wins)', () => {
    const target = policyCopyStarted({}, snap(2), 'repl-00000002', at(3));
    expect(planPolicyCopy(target, snap(1), 0, at(4))).toEqual({ action: 'skip', reason: 'older' });
    expect(planPolicyCopy(target, snap(2), 0, at(4))).toEqual({ action: 'skip', reason: 'older' });
  });

  it('queues a newer snapshot behind the copy in flight, replacing the one that waited', () => {
    let target = policyCopyStarted({}, snap(0), 'repl-00000000', at(0));
    expect(planPolicyCopy(target, snap(1), 0, at(1))).toEqual({ action: 'wait' });
    target = policyCopyQueued(target, snap(1));
    expect(planPolicyCopy(target, snap(2), 0, at(2))).toEqual({
      action: 'wait',
      supersedes: snap(1).snapshotId,
    });
    target = policyCopyQueued(target, snap(2));
    expect(policyCopyEnded(target, 'repl-other00').target).toBe(target);
    const { target: free, next } = policyCopyEnded(target, 'repl-00000000');
    expect(next).toEqual(snap(2));
    expect(free.inFlight).toBeUndefined();
    expect(free.waiting).toBeUndefined();
  });
});

type Step =
  { kind: 'normal'; takenMinute: number; advance: number } | { kind: 'end'; advance: number };

describe('planPolicyCopy (properties)', () => {
  it('keeps one copy in flight and one waiting at most, copies only ever newer snapshots, never faster than the interval, and ends with the newest', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('normal' as const),
        takenMinute: fc.integer({ min: 0, max: 200 }),
        advance: fc.integer({ min: 0, max: 10 }),
      }),
      fc.record({ kind: fc.constant('end' as const), advance: fc.integer({ min: 0, max: 10 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 0, max: 15 }),
        (steps: Step[], interval) => {
          let target: PolicyTarget = {};
          let clock = 0;
          let n = 0;
          const requests: { snapshot: PolicySnapshot; minute: number }[] = [];
          let newestAdmitted: PolicySnapshot | undefined;
          const request = (snapshot: PolicySnapshot) => {
            const replicationId = `repl-${String(requests.length).padStart(8, '0')}`;
            target = policyCopyStarted(target, snapshot, replicationId, at(clock));
            requests.push({ snapshot, minute: clock });
          };
          for (const s of steps) {
            clock += s.advance;
            if (s.kind === 'normal') {
              const snapshot = snap(++n, s.takenMinute);
              const plan = planPolicyCopy(target, snapshot, interval, at(clock));
              if (plan.action === 'request') request(snapshot);
              if (plan.action === 'wait') {
                expect(plan.supersedes).toBe(target.waiting?.snapshotId);
                target = policyCopyQueued(target, snapshot);
              }
              if (plan.action !== 'skip') newestAdmitted = snapshot;
            } else if (target.inFlight) {
              const { target: free, next } = policyCopyEnded(target, target.inFlight.replicationId);
              target = free;
              if (next) {
                expect(next).toEqual(newestAdmitted);
                request(next);
              }
            }
            expect(target.waiting === undefined || target.inFlight !== undefined).toBe(true);
          }
          for (let i = 1; i < requests.length; i++) {
            expect(requests[i]!.snapshot.createdAt > requests[i - 1]!.snapshot.createdAt).toBe(
              true,
            );
            expect(requests[i]!.minute - requests[i - 1]!.minute).toBeGreaterThanOrEqual(interval);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
