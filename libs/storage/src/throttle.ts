export interface ThrottleClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Token bucket state: pure, so the arithmetic is testable without clocks. */
export interface Bucket {
  tokens: number;
  at: number;
}

/** Refills for the time elapsed (capped at `burst`), takes `n`, and says how long to wait to repay any debt. */
export function takeTokens(
  bucket: Bucket,
  n: number,
  now: number,
  bytesPerSec: number,
  burst: number,
): { bucket: Bucket; waitMs: number } {
  const refilled = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * bytesPerSec);
  const tokens = refilled - n;
  return { bucket: { tokens, at: now }, waitMs: tokens < 0 ? (-tokens / bytesPerSec) * 1000 : 0 };
}

/**
 * A token-bucket bandwidth limit shared by all copies of a region. A take larger than
 * the bucket goes into debt and waits it off, so chunks bigger than one second of
 * bandwidth still pass at the right average rate. Takes are served in order.
 */
export class Throttle {
  private bucket: Bucket;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly burst: number;
  private readonly clock: ThrottleClock;

  constructor(
    readonly bytesPerSec: number,
    { burstBytes, clock = realClock }: { burstBytes?: number; clock?: ThrottleClock } = {},
  ) {
    if (!(bytesPerSec > 0))
      throw new RangeError(`bytesPerSec must be positive, got ${bytesPerSec}`);
    this.burst = burstBytes ?? bytesPerSec;
    this.clock = clock;
    this.bucket = { tokens: this.burst, at: clock.now() };
  }

  take(n: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      signal?.throwIfAborted();
      const { bucket, waitMs } = takeTokens(
        this.bucket,
        n,
        this.clock.now(),
        this.bytesPerSec,
        this.burst,
      );
      this.bucket = bucket;
      if (waitMs > 0) await this.clock.sleep(waitMs, signal);
    });
    // The caller gets `turn` (and its failure); the queue only orders the next caller after it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
