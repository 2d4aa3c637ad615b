import type { CopyProgress } from '@snapferry/storage';

/**
 * Decides which copy progress updates are worth a message: at most one per 250 ms unless
 * the percent moved 5 points, and never the same percent twice.
 */
export class ProgressThrottle {
  private lastAt = -Infinity;
  private lastPercent = -1;

  constructor(
    private readonly intervalMs = 250,
    private readonly step = 5,
    private readonly now: () => number = Date.now,
  ) {}

  shouldReport(percent: number): boolean {
    const now = this.now();
    const due = now - this.lastAt >= this.intervalMs || percent - this.lastPercent >= this.step;
    if (!due || percent <= this.lastPercent) return false;
    this.lastAt = now;
    this.lastPercent = percent;
    return true;
  }
}

export const percentOf = (p: Pick<CopyProgress, 'bytesDone' | 'bytesTotal'>): number =>
  p.bytesTotal === 0 ? 100 : Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 1000) / 10);
