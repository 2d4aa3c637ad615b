import { pause } from '@snapferry/platform';
import type { Logger } from 'pino';
import { Gauge, Histogram, type Registry } from 'prom-client';
import {
  CatchUpSignal,
  type Checkpoint,
  CheckpointStore,
  type EventNotifications,
  lockSubscription,
  type PostgresEventStore,
  processSubscriptionBatch,
  resetSubscription,
} from '@snapferry/event-store';
import type { Projection } from './projection';
import { replicationViewProjection } from './replication-view.projection';
import { snapshotViewProjection } from './snapshot-view.projection';

export const readModelsSubscription = 'read-models';
export const projections: Projection[] = [snapshotViewProjection, replicationViewProjection];

/**
 * Projects the event log into the read models: each batch's view changes and the
 * checkpoint commit in one transaction, and a second catalog instance waits its turn
 * (the subscription row is locked per batch).
 */
export class Projector {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly lag: Histogram;
  private readonly position: Gauge;
  /** The highest global position projected (positions can commit out of order; a scheduling hint only). */
  private projectedPosition = 0n;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly watermark: {
      advance(checkpoint: Checkpoint): void;
      projectedElsewhere: boolean;
    },
    private readonly notifications: EventNotifications,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    this.lag = new Histogram({
      name: 'snapferry_projection_lag_seconds',
      help: 'Time from an event being recorded to its projection into the read models',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [metrics],
    });
    this.position = new Gauge({
      name: 'snapferry_projection_position',
      help: 'Global position the read models have reached',
      registers: [metrics],
    });
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  storedCheckpoint(): Promise<Checkpoint> {
    return new CheckpointStore(this.store).load(readModelsSubscription);
  }

  /** Clears the read models and replays the whole log into them, safely while the service runs. */
  async rebuild(): Promise<void> {
    await this.store.transaction(async (tx) => {
      await lockSubscription(tx, readModelsSubscription);
      for (const projection of projections)
        for (const table of projection.tables) await tx.execute(`DELETE FROM ${table}`);
      await resetSubscription(tx, readModelsSubscription);
    });
  }

  /** One batch; exposed for tests and tools. */
  async step(batchSize = 500) {
    const result = await processSubscriptionBatch(this.store, {
      name: readModelsSubscription,
      batchSize,
      handle: async (events, tx) => {
        for (const projection of projections) await projection.handle(events, tx.sql);
        const now = Date.now();
        for (const e of events) {
          this.lag.observe((now - e.recordedAt.getTime()) / 1000);
          if (e.globalPosition > this.projectedPosition) this.projectedPosition = e.globalPosition;
        }
      },
    });
    this.watermark.projectedElsewhere = result.outcome === 'busy';
    if (result.outcome !== 'busy') {
      this.watermark.advance(result.checkpoint);
      this.position.set(Number(result.checkpoint.position));
    }
    return result;
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    const wakeups = new CatchUpSignal(this.notifications);
    let retryMs = 2;
    try {
      while (!signal.aborted) {
        try {
          const result = await this.step();
          if (result.outcome === 'handled' && result.count === 500) continue;
          if (result.outcome !== 'busy' && wakeups.behind(this.projectedPosition)) {
            // Appended but not yet visible (an older transaction is still open): look again soon.
            await pause(retryMs, signal);
            retryMs = Math.min(retryMs * 2, 100);
            continue;
          }
          retryMs = 2;
          await wakeups.wait(result.outcome === 'busy' ? 200 : 1_000, signal);
        } catch (error) {
          this.logger.error({ err: error }, 'projection batch failed; retrying');
          await pause(1_000, signal);
        }
      }
    } finally {
      wakeups.close();
    }
  }
}
