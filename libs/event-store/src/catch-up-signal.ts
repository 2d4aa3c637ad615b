import type { EventNotifications } from './notifications';

/**
 * Wakes a reader that catches up with the log (a projector, the outbox relay). Unlike a
 * bare `waitForNext`, it remembers appends announced while the reader was busy, so a
 * wake-up is never missed, and it knows the newest position announced, so a reader can
 * tell it is still behind (events committed but not yet below the visibility horizon)
 * and look again soon instead of sleeping.
 */
export class CatchUpSignal {
  private pending = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  /** The highest global position any append has announced. */
  latestAnnounced = 0n;

  constructor(notifications: EventNotifications) {
    this.unsubscribe = notifications.subscribe((notification) => {
      if (
        notification.kind === 'appended' &&
        notification.lastGlobalPosition > this.latestAnnounced
      )
        this.latestAnnounced = notification.lastGlobalPosition;
      this.pending = true;
      this.wake?.();
    });
  }

  /** True while appends beyond `position` were announced: look again soon. */
  behind(position: bigint): boolean {
    return this.latestAnnounced > position;
  }

  /** Resolves at once if something was appended since the last wait, else at the next append or after `timeoutMs`. */
  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.pending && !signal?.aborted)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    this.pending = false;
  }

  close(): void {
    this.unsubscribe();
    this.wake?.();
  }
}
