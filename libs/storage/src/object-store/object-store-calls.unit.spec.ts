import { StorageFullError } from '../errors';
import {
  objectStoreCall,
  ObjectStoreRefusedError,
  ObjectStoreUnavailableError,
} from './object-store-calls';

/** An error as the SDK throws it for an S3 answer (`name`, status, its own tries). */
const s3Error = (name: string, httpStatusCode: number, attempts = 1) =>
  Object.assign(new Error(`${name} says the store`), {
    name,
    $metadata: { httpStatusCode, attempts },
  });

const options = (retryForMs: number) => ({
  region: 'ap-shanghai',
  where: 'bucket "b" at http://s3.test',
  retryForMs,
});

describe('objectStoreCall', () => {
  it('keeps trying a store that throttles until the budget has passed, then names the S3 error and the tries', async () => {
    const times: number[] = [];
    const started = Date.now();
    const call = async () => {
      times.push(Date.now() - started);
      throw s3Error('SlowDown', 503, 3); // the SDK already tried three times
    };
    const failure = await objectStoreCall('chunk abc', call, options(1_000)).catch((e) => e);
    expect(failure).toBeInstanceOf(ObjectStoreUnavailableError);
    expect(failure.s3Code).toBe('SlowDown');
    expect(failure.message).toMatch(
      /^region ap-shanghai's object store \(bucket "b" at http:\/\/s3.test\) kept failing chunk abc for 1 s \(\d+ tries\): SlowDown \(HTTP 503\)/,
    );
    // Backoff (0.2, 0.4, then what is left of the budget), and a last try when the budget ends:
    // never given up before it has passed.
    expect(times.length).toBe(4);
    expect(Number(/\((\d+) tries\)/.exec(failure.message)![1])).toBe(3 * times.length);
    expect(times.at(-1)!).toBeGreaterThanOrEqual(1_000 - 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(times[2]! - times[1]!).toBeGreaterThan(times[1]! - times[0]! + 100);
  });

  it('succeeds when the store answers again within the budget', async () => {
    let calls = 0;
    const answer = await objectStoreCall(
      'chunk abc',
      async () => {
        if (++calls < 3) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return 'stored';
      },
      options(10_000),
    );
    expect({ answer, calls }).toEqual({ answer: 'stored', calls: 3 });
  });

  it('fails at once with a budget of 0, a refusal, or a full bucket', async () => {
    let calls = 0;
    const counted = (error: Error) => async () => {
      calls++;
      throw error;
    };
    await expect(
      objectStoreCall('chunk abc', counted(s3Error('SlowDown', 503)), options(0)),
    ).rejects.toBeInstanceOf(ObjectStoreUnavailableError);
    await expect(
      objectStoreCall('chunk abc', counted(s3Error('AccessDenied', 403)), options(10_000)),
    ).rejects.toBeInstanceOf(ObjectStoreRefusedError);
    const full = await objectStoreCall(
      'chunk abc',
      counted(s3Error('QuotaExceeded', 403)),
      options(10_000),
    ).catch((e) => e);
    expect(full).toBeInstanceOf(StorageFullError);
    expect(full.message).toBe(
      'the store of region ap-shanghai is full (bucket "b" at http://s3.test refused the write: QuotaExceeded (HTTP 403)) writing chunk abc',
    );
    expect(calls).toBe(3);
  });
});
