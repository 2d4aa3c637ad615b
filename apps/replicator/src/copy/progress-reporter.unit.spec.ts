import { percentOf, ProgressThrottle } from './progress-reporter';

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
