import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import {
  type Checkpoint,
  CheckpointsRepository,
  compareCheckpoints,
  PostgresEventStore,
} from '@snapferry/event-store';
import { LOGGER, METRICS } from '../tokens';
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
  private readonly checkpoints: CheckpointsRepository;
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
  private readonly pollFailures: Counter;
  /** While polls fail: logged once when they start failing and once when they read again. */
  private failing = false;

  constructor(
    eventStore: PostgresEventStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.checkpoints = new CheckpointsRepository(eventStore);
    this.pollFailures = new Counter({
      name: 'snapferry_projection_checkpoint_poll_failures_total',
      help: 'Failed reads of the read models checkpoint while another catalog instance projects (callers waiting to read their writes may time out)',
      registers: [metrics],
    });
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
        .then((cp) => this.polled(cp))
        // A failed poll (database away) is retried on the next tick; a waiter times out at worst.
        .catch((error: unknown) => this.pollFailed(error))
        .finally(() => this.waiters.length > 0 && this.schedulePoll());
    }, 25);
    this.timer.unref();
  }

  private polled(checkpoint: Checkpoint): void {
    if (this.failing) {
      this.failing = false;
      this.logger.info('the read models checkpoint can be read again');
    }
    this.advance(checkpoint);
  }

  private pollFailed(error: unknown): void {
    this.pollFailures.inc();
    if (this.failing) return; // polled every 25 ms: one line per outage, the count has the rest
    this.failing = true;
    this.logger.warn(
      { err: error },
      'could not read how far another catalog instance has projected; retrying (callers waiting to read their writes answer after 5 s at worst)',
    );
  }
}
