import { takeTokens, Throttle, type ThrottleClock } from './throttle';

function fakeClock(): ThrottleClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('throttle', () => {
  it('takes from a full bucket without waiting', () => {
    expect(takeTokens({ tokens: 100, at: 0 }, 60, 0, 100, 100)).toEqual({
      bucket: { tokens: 40, at: 0 },
      waitMs: 0,
    });
  });

  it('refills with elapsed time, capped at the burst size', () => {
    expect(takeTokens({ tokens: 0, at: 0 }, 0, 500, 100, 100).bucket.tokens).toBe(50);
    expect(takeTokens({ tokens: 0, at: 0 }, 0, 5_000, 100, 100).bucket.tokens).toBe(100);
  });

  it('goes into debt for a take larger than the bucket and waits it off', () => {
    expect(takeTokens({ tokens: 100, at: 0 }, 300, 0, 100, 100)).toEqual({
      bucket: { tokens: -200, at: 0 },
      waitMs: 2_000,
    });
  });

  it('holds the average rate over many takes', async () => {
    const clock = fakeClock();
    const throttle = new Throttle(1_000, { clock });
    for (let i = 0; i < 10; i++) await throttle.take(500);
    // 5000 bytes at 1000 B/s with a 1000-byte burst: 4 seconds of waiting.
    expect(clock.now()).toBe(4_000);
  });

  it('serves concurrent takes in order', async () => {
    const clock = fakeClock();
    const throttle = new Throttle(100, { clock, burstBytes: 0 });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => throttle.take(100).then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
    expect(clock.slept).toEqual([1_000, 1_000, 1_000]);
  });

  it('stops waiting when aborted', async () => {
    const throttle = new Throttle(1);
    const controller = new AbortController();
    const take = throttle.take(10_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(take).rejects.toThrow('cancelled');
  });

  it('refuses a non-positive rate', () => {
    expect(() => new Throttle(0)).toThrow(RangeError);
  });
});
