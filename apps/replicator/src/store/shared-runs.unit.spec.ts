import { SharedRuns } from './shared-runs';

/** A run the test finishes by hand, and the signal it was given. */
function controllable() {
  const started: { signal: AbortSignal; finish: (value: string) => void }[] = [];
  const start = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started.push({ signal, finish: resolve });
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  return { started, start };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SharedRuns', () => {
  it('a call while a run is under way joins it: one run, the same result for both', async () => {
    const runs = new SharedRuns<string>();
    const { started, start } = controllable();
    const first = runs.join('ap-shanghai', new AbortController().signal, start);
    const second = runs.join('ap-shanghai', new AbortController().signal, start);
    await tick();
    expect(started).toHaveLength(1);
    started[0]!.finish('stats');
    await expect(first).resolves.toBe('stats');
    await expect(second).resolves.toBe('stats');
    await tick();
    expect(runs.running('ap-shanghai')).toBe(false);
  });

  it('keeps keys apart, and a call after a run ended starts a new one', async () => {
    const runs = new SharedRuns<string>();
    const { started, start } = controllable();
    const a = runs.join('ap-shanghai', new AbortController().signal, start);
    const b = runs.join('ap-singapore', new AbortController().signal, start);
    await tick();
    expect(started).toHaveLength(2);
    started[0]!.finish('a');
    started[1]!.finish('b');
    await expect(a).resolves.toBe('a');
    await expect(b).resolves.toBe('b');
    await tick();
    const again = runs.join('ap-shanghai', new AbortController().signal, start);
    await tick();
    expect(started).toHaveLength(3);
    started[2]!.finish('again');
    await expect(again).resolves.toBe('again');
  });

  it('goes on while one caller is left, and stops once every caller has gone', async () => {
    const runs = new SharedRuns<string>();
    const { started, start } = controllable();
    const one = new AbortController();
    const two = new AbortController();
    const first = runs.join('ap-shanghai', one.signal, start);
    const second = runs.join('ap-shanghai', two.signal, start);
    await tick();
    one.abort(new Error('first caller gone'));
    await expect(first).rejects.toThrow('first caller gone'); // answered at once
    expect(started[0]!.signal.aborted).toBe(false);
    two.abort(new Error('second caller gone'));
    await expect(second).rejects.toThrow('second caller gone');
    expect(started[0]!.signal.aborted).toBe(true);
  });

  it('a call while a stopped run winds down waits for it, then starts a new run', async () => {
    const runs = new SharedRuns<string>();
    const started: AbortSignal[] = [];
    let windDown: () => void = () => undefined;
    const slowToStop = (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        started.push(signal);
        if (started.length > 1) return resolve('fresh');
        // Honours the abort only when the test says so (a sweep finishing its current file).
        signal.addEventListener('abort', () => (windDown = () => reject(signal.reason as Error)));
      });
    const gone = new AbortController();
    const first = runs.join('ap-shanghai', gone.signal, slowToStop);
    await tick();
    gone.abort(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    const next = runs.join('ap-shanghai', new AbortController().signal, slowToStop);
    await tick();
    expect(started).toHaveLength(1);
    windDown();
    await expect(next).resolves.toBe('fresh');
    expect(started).toHaveLength(2);
  });
});
