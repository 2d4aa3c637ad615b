import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Gauge, Histogram, type Registry } from 'prom-client';
import {
  EventNotifications,
  type EventStoreTransaction,
  lockSubscription,
  PostgresEventStore,
  type RecordedEvent,
  resetSubscription,
  type SubscriptionBatchOutcome,
  SubscriptionRunner,
} from '@snapferry/event-store';
import { LOGGER, METRICS } from '../tokens';
import { type Projection, readModelsSubscription } from './projection';
import { ProjectionWatermark } from './projection-watermark';
import { policyViewProjection } from './policy-view.projection';
import { replicationViewProjection } from './replication-view.projection';
import { snapshotViewProjection } from './snapshot-view.projection';

/** Events per batch: big batches keep up under load (one transaction, one checkpoint write each). */
const readModelsBatchSize = 1_000;
export const projections: Projection[] = [
  snapshotViewProjection,
  replicationViewProjection,
  policyViewProjection,
];

/**
 * Projects the event log into the read models: each batch's view changes and the
 * checkpoint commit in one transaction, and a second catalog instance waits its turn
 * (the subscription row is locked per batch). Runs from the application's bootstrap until
 * its shutdown begins.
 */
@Injectable()
export class Projector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: SubscriptionRunner;
  private readonly lag: Histogram;
  private readonly position: Gauge;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly watermark: ProjectionWatermark,
    notifications: EventNotifications,
    @Inject(LOGGER) logger: Logger,
    @Inject(METRICS) metrics: Registry,
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
    this.runner = new SubscriptionRunner(store, {
      name: readModelsSubscription,
      synchronousCommit: false, // rebuildable from the log: a crash re-projects the last batches
      batchSize: readModelsBatchSize,
      notifications,
      pacing: {
        pollIntervalMs: 1_000,
        busyPollIntervalMs: 200, // another instance projects: check on it sooner
        retryDelayMs: () => 1_000,
      },
      handle: (events, tx) => this.project(events, tx),
      afterBatch: (outcome) => this.projected(outcome),
      onError: (error) => logger.error({ err: error }, 'projection batch failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }

  /** Clears the read models and replays the whole log into them, safely while the service runs. */
  async rebuild(): Promise<void> {
    await this.store.transaction(async (tx) => {
      await lockSubscription(tx, readModelsSubscription);
      for (const projection of projections) await projection.clear(tx);
      await resetSubscription(tx, readModelsSubscription);
    });
  }

  private async project(events: RecordedEvent[], tx: EventStoreTransaction): Promise<void> {
    for (const projection of projections) await projection.handle(events, tx);
    const now = Date.now();
    for (const e of events) this.lag.observe((now - e.recordedAt.getTime()) / 1000);
  }

  private projected(outcome: SubscriptionBatchOutcome): void {
    this.watermark.projectedElsewhere = outcome.outcome === 'busy';
    if (outcome.outcome !== 'busy') {
      this.watermark.advance(outcome.checkpoint);
      this.position.set(Number(outcome.checkpoint.position));
    }
  }
}
