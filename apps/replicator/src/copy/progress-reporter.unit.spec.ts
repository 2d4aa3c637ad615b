import { percentOf, ProgressReporter, ProgressThrottle } from './progress-reporter';

describe('progress reports', () => {
  it('reports at most every 250 ms unless the percent moved 5 points, never the same percent twice', () => {
    let now = 0;
    const throttle = new ProgressThrottle(250, 5, () => now);
    expect(throttle.shouldReport(1)).toBe(true);
    now = 100;
    expect(throttle.shouldReport(2)).toBe(false); // too soon, small step
    expect(throttle.shouldReport(6)).toBe(true); // 5 points
    now = 360;
    expect(throttle.shouldReport(6)).toBe(false); // same percent
    expect(throttle.shouldReport(7)).toBe(true); // 250 ms passed
  });

  it('computes percent from bytes done, to one decimal, 100 for an empty image', () => {
    expect(percentOf({ bytesDone: 1, bytesTotal: 3 })).toBe(33.3);
    expect(percentOf({ bytesDone: 0, bytesTotal: 0 })).toBe(100);
    expect(percentOf({ bytesDone: 5, bytesTotal: 4 })).toBe(100);
  });
});

describe('ProgressReporter', () => {
  const progress = (bytesDone: number, phase: 'copying' | 'verifying' = 'copying') => ({
    phase,
    bytesDone,
    bytesTotal: 100,
    bytesCopied: bytesDone,
    chunksCopied: 0,
    chunksSkipped: 0,
    chunksTotal: 10,
  });
  const ports = () => {
    const published: string[] = [];
    const aborted: Error[] = [];
    return {
      published,
      aborted,
      publishProgressed: async (_: unknown, percent: number) =>
        void published.push(`progressed ${percent}`),
      publishVerifying: async () => void published.push('verifying'),
      abort: (reason: Error) => void aborted.push(reason),
    };
  };

  it('publishes in order, announces Verifying once, and never 100 % as progress', async () => {
    const p = ports();
    const reporter = new ProgressReporter(p);
    for (const done of [10, 20, 100]) reporter.onProgress(progress(done));
    reporter.onProgress(progress(50, 'verifying'));
    reporter.onProgress(progress(100, 'verifying'));
    await reporter.settle();
    expect(p.published).toEqual(['progressed 10', 'progressed 20', 'verifying']);
  });

  it('a failed publish aborts the attempt and surfaces at settle, never as an unhandled rejection', async () => {
    const p = ports();
    const reporter = new ProgressReporter({
      ...p,
      publishProgressed: async () => Promise.reject(new Error('broker gone')),
    });
    reporter.onProgress(progress(10));
    await expect(reporter.settle()).rejects.toThrow('broker gone');
    expect(p.aborted.map((e) => e.message)).toEqual(['broker gone']);
  });
});
