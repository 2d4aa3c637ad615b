/**
 * The copies of one region that this process may run at once (REPLICATOR_MAX_CONCURRENT_COPIES),
 * counted here rather than by the broker's prefetch: after a consumer channel is lost, the
 * copies of its messages keep running while a reopened channel delivers more, and those wait
 * here for a slot. Waiters are served in order.
 */
export class CopySlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new RangeError(`a slot limit is a positive integer, got ${limit}`);
  }

  /** A slot's release function if one is free now, else undefined. */
  tryTake(): (() => void) | undefined {
    if (this.running >= this.limit) return undefined;
    this.running++;
    return this.releaser();
  }

  /** Resolves with the slot's release function once one is free; rejects with `signal`'s reason when it aborts first. */
  async take(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    const free = this.tryTake();
    if (free) return free;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(signal.reason as Error);
      };
      const granted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.push(granted);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser();
  }

  /** Releases once, whatever the caller does: the slot goes to the first waiter, if any. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
