import { planAppends } from './append';
import { WrongExpectedVersionError } from './errors';
import type { AnyEvent, ExpectedVersion, StreamAppend } from './types';

const append = (streamId: string, expectedVersion: ExpectedVersion, count = 1) =>
  ({
    streamId,
    expectedVersion,
    events: Array.from({ length: count }, () => ({ type: 'Happened', data: {} })),
  }) as StreamAppend<AnyEvent>;

describe('planAppends (what an append does to the streams table)', () => {
  it('creates new streams at their event count and moves existing ones from their version', () => {
    const plan = planAppends(
      [append('a', 'no_stream', 2), append('b', 3, 2), append('c', 0)],
      undefined,
    );
    expect(plan.created).toEqual([
      { streamId: 'a', version: 2 },
      { streamId: 'c', version: 1 },
    ]);
    expect(plan.moved).toEqual([{ streamId: 'b', from: 3, to: 5 }]);
    expect(Object.fromEntries(plan.firstPosition)).toEqual({ a: 1, b: 4, c: 1 });
  });

  it("'any' takes the locked version, or creates the stream when it has none", () => {
    const plan = planAppends([append('a', 'any'), append('b', 'any', 2)], new Map([['a', 7]]));
    expect(plan.moved).toEqual([{ streamId: 'a', from: 7, to: 8 }]);
    expect(plan.created).toEqual([{ streamId: 'b', version: 2 }]);
    expect(Object.fromEntries(plan.firstPosition)).toEqual({ a: 8, b: 1 });
  });

  it('refuses a locked stream whose version is not the expected one, naming it', () => {
    expect(() =>
      planAppends(
        [append('a', 2), append('b', 5)],
        new Map([
          ['a', 2],
          ['b', 6],
        ]),
      ),
    ).toThrow(WrongExpectedVersionError);
    // Unlocked (one stream): the update checks it instead, so the plan trusts the expectation.
    expect(planAppends([append('b', 5)], undefined).moved).toEqual([
      { streamId: 'b', from: 5, to: 6 },
    ]);
  });
});
