import { Injectable } from '@nestjs/common';
import {
  type Checkpoint,
  CheckpointStore,
  compareCheckpoints,
  PostgresEventStore,
} from '@snapferry/event-store';
import { readModelsSubscription } from './projection';

interface Waiter {
  target: Checkpoint;
  resolve: () => void;
}

/**
 * How far the read models have been projected. Commands wait on it so that a caller who
 * wrote something reads it back at once. The local projector advances it; when another
 * catalog instance is the active projector, it polls the stored checkpoint instead.
 */
@Injectable()
export class ProjectionWatermark {
  private current: Checkpoint = { transactionId: 0n, position: 0n };
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly checkpoints: CheckpointStore;
  /** True while another catalog instance holds the projection: only then is the stored checkpoint polled. */
  private elsewhere = false;

  get projectedElsewhere(): boolean {
    return this.elsewhere;
  }

  set projectedElsewhere(value: boolean) {
    this.elsewhere = value;
    if (value && this.waiters.length > 0) this.schedulePoll();
  }
  timeoutMs = 5_000;

  constructor(store: PostgresEventStore) {
    this.checkpoints = new CheckpointStore(store);
  }

  advance(checkpoint: Checkpoint): void {
    if (compareCheckpoints(checkpoint, this.current) <= 0) return;
    this.current = checkpoint;
    const ready = this.waiters.filter((w) => compareCheckpoints(this.current, w.target) >= 0);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Resolves once the views include `target`, or after the timeout (the write stands either way). */
  reached(target: Checkpoint): Promise<void> {
    if (compareCheckpoints(this.current, target) >= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { target, resolve };
      this.waiters.push(waiter);
      const timeout = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, this.timeoutMs);
      timeout.unref();
      this.schedulePoll();
    });
  }

  private schedulePoll(): void {
    if (this.timer || !this.elsewhere) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.checkpoints
        .load(readModelsSubscription)
        .then((cp) => this.advance(cp))
        // A failed poll (database away) is retried on the next tick; a waiter times out at worst.
        .catch(() => undefined)
        .finally(() => this.waiters.length > 0 && this.schedulePoll());
    }, 25);
    this.timer.unref();
  }
}
