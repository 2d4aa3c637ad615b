import { OccasionalTask } from './occasional-task';

describe('OccasionalTask', () => {
  const deferred = () => {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    return { promise, resolve, reject };
  };

  it('runs at most once per interval, never twice at once, and settles the run in flight', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    const task = new OccasionalTask(
      60_000,
      () => {
        runs.push(deferred());
        return runs.at(-1)!.promise;
      },
      () => undefined,
    );
    task.poke(0);
    task.poke(1); // within the interval
    expect(runs).toHaveLength(1);
    task.poke(70_000); // past the interval, but the first run is still going
    expect(runs).toHaveLength(1);
    let settled = false;
    const waiting = task.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    runs[0]!.resolve();
    await waiting;
    task.poke(70_001);
    await Promise.resolve();
    expect(runs).toHaveLength(2);
    task.poke(100_000); // within the interval of the second run
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    await task.settled();
  });

  it('reports a failure and tries again after the interval', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const task = new OccasionalTask(
      1_000,
      () => {
        calls++;
        return Promise.reject(new Error('database away'));
      },
      (error) => errors.push(error),
    );
    task.poke(0);
    await task.settled();
    expect(errors).toEqual([new Error('database away')]);
    task.poke(500);
    await task.settled();
    expect(calls).toBe(1);
    task.poke(1_000);
    await task.settled();
    expect([calls, errors.length]).toEqual([2, 2]);
  });

  it('returns at once: poke never waits for the work, nor throws', () => {
    const task = new OccasionalTask(
      1_000,
      () => {
        throw new Error('synchronous failure');
      },
      () => undefined,
    );
    expect(() => task.poke(0)).not.toThrow();
    return task.settled();
  });
});
