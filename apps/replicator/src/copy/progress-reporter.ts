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

export interface ProgressReporterPorts {
  publishProgressed(progress: CopyProgress, percent: number): Promise<void>;
  publishVerifying(): Promise<void>;
  /** Stops the copy attempt when a report could not be published. */
  abort(reason: Error): void;
}

/**
 * Turns a copy's progress callbacks into messages: throttled, published in order in the
 * background so the copy never waits for the broker, and a publish that fails (broker gone)
 * aborts the attempt instead of becoming an unhandled rejection; the request is redelivered.
 */
export class ProgressReporter {
  private readonly throttle = new ProgressThrottle();
  private queued: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private verifying = false;

  constructor(private readonly ports: ProgressReporterPorts) {}

  readonly onProgress = (progress: CopyProgress): void => {
    if (progress.phase === 'verifying') {
      this.announceVerifying();
      return;
    }
    const percent = percentOf(progress);
    if (percent < 100 && this.throttle.shouldReport(percent))
      this.inOrder(() => this.ports.publishProgressed(progress, percent));
  };

  /** Waits for every report; throws the first failure; makes sure Verifying was announced. */
  async settle(): Promise<void> {
    this.announceVerifying();
    await this.queued;
    if (this.failure) throw this.failure;
  }

  private announceVerifying(): void {
    if (this.verifying) return;
    this.verifying = true;
    this.inOrder(() => this.ports.publishVerifying());
  }

  /** Waits for what was queued, announcing nothing more (a copy that failed); never throws. */
  async drain(): Promise<void> {
    await this.queued;
  }

  /**
   * Runs `work` (a publish) in the background after every report queued before it: the copy
   * does not wait for the broker's confirm, and `settle` does.
   */
  inOrder(work: () => Promise<void>): void {
    this.queued = this.queued.then(work).catch((error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      this.ports.abort(this.failure);
    });
  }
}
