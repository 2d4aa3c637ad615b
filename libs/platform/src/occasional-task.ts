/**
 * Background housekeeping driven by use, not by a timer: `poke()` starts `work` unless it ran
 * less than `intervalMs` ago or is still running, and returns at once (the caller never waits
 * for it). An idle service therefore does nothing. A failure goes to `onError` and the next
 * poke after the interval tries again; `settled()` waits for the run in flight (before the
 * connections it uses close).
 */
export class OccasionalTask {
  private lastStart = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  poke(nowMs = Date.now()): void {
    if (this.running || nowMs - this.lastStart < this.intervalMs) return;
    this.lastStart = nowMs;
    // Started here and now; a synchronous throw becomes a rejection like any other failure.
    this.running = new Promise<unknown>((resolve) => resolve(this.work()))
      .then(() => undefined, this.onError)
      .finally(() => {
        this.running = undefined;
      });
  }

  async settled(): Promise<void> {
    await this.running;
  }
}
