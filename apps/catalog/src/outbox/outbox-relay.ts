import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type CatalogEvent, eventRegion } from '@snapferry/domain';
import { messageVersions, type ReplicationMessage, routingKeyOf } from '@snapferry/contracts';
import {
  type Checkpoint,
  EventNotifications,
  PostgresEventStore,
  type RecordedEvent,
  type SubscriptionFailure,
  SubscriptionRunner,
} from '@snapferry/event-store';
import {
  AmqpConnectionManager,
  catalogEventRoutingKey,
  ConfirmPublisher,
  declareTopology,
  EVENTS_EXCHANGE,
  type MessageEnvelope,
  type PublishRequest,
  REPLICATION_EXCHANGE,
  UnroutableMessageError,
} from '@snapferry/messaging';
import type { SnapferryConfig } from '@snapferry/platform';
import { CONFIG, LOGGER, METRICS } from '../tokens';

export const outboxRelayName = 'outbox-relay';
/** Events per batch: one batch is published and confirmed before its checkpoint moves. */
const relayBatchSize = 200;

/** The wire form of a stored event: `{eventId, type, version, occurredAt, correlationId, data}`. */
export function toEnvelope(event: RecordedEvent): MessageEnvelope {
  return {
    eventId: event.eventId,
    type: event.type,
    version: event.schemaVersion,
    occurredAt: event.recordedAt.toISOString(),
    correlationId:
      typeof event.metadata.correlationId === 'string'
        ? event.metadata.correlationId
        : event.eventId,
    data: event.data,
  };
}

/** What leaves for one stored event: always to `snapferry.events`, and commands for the replicators. */
export function publicationsOf(event: RecordedEvent): PublishRequest[] {
  const envelope = toEnvelope(event);
  const catalogEvent = { type: event.type, data: event.data } as CatalogEvent;
  const requests: PublishRequest[] = [
    // Anyone may subscribe to the event feed, and no subscriber is not a failure: not mandatory.
    {
      exchange: EVENTS_EXCHANGE,
      routingKey: catalogEventRoutingKey(event.type, eventRegion(catalogEvent)),
      envelope,
      options: { mandatory: false },
    },
  ];
  if (event.type === 'ReplicationRequested' || event.type === 'ReplicationCancelRequested') {
    const message = { ...envelope, version: messageVersions[event.type] } as ReplicationMessage;
    requests.push({
      exchange: REPLICATION_EXCHANGE,
      routingKey: routingKeyOf(message),
      envelope: message,
    });
  }
  return requests;
}

/**
 * The event store is the outbox. The relay reads events in (transaction id, position)
 * order, publishes them persistent and mandatory with publisher confirms, and moves its
 * checkpoint only after every confirm of a batch. A crash re-publishes from the checkpoint
 * (consumers deduplicate by event id); one catalog instance relays at a time (advisory lock).
 * Runs from the application's bootstrap (the progress consumer is connected by then) until
 * its shutdown begins, before the broker connection closes.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: SubscriptionRunner;
  private readonly declaredRegions = new Set<string>();
  private readonly published: Counter;
  private readonly failures: Counter;
  private readonly lag: Gauge;
  leader = false;

  private readonly deliveryLimit: number;

  constructor(
    eventStore: PostgresEventStore,
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
    notifications: EventNotifications,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) config: SnapferryConfig,
    @Inject(METRICS) metrics: Registry,
  ) {
    this.deliveryLimit = config.deliveryLimit;
    this.published = new Counter({
      name: 'snapferry_relay_published_total',
      help: 'Messages the outbox relay published and the broker confirmed',
      registers: [metrics],
    });
    this.failures = new Counter({
      name: 'snapferry_relay_failures_total',
      help: 'Relay batches that failed and will be retried',
      registers: [metrics],
    });
    this.lag = new Gauge({
      name: 'snapferry_relay_lag_seconds',
      help: 'Age of the oldest event the relay has not yet published',
      registers: [metrics],
    });
    this.runner = new SubscriptionRunner(eventStore, {
      name: outboxRelayName,
      synchronousCommit: false, // a crash re-publishes from an older checkpoint; consumers deduplicate
      checkpoint: 'after-the-effect', // the broker's confirms are the effect
      batchSize: relayBatchSize,
      notifications,
      pacing: {
        pollIntervalMs: 1_000,
        retryDelayMs: (failures) => Math.min(10_000, 200 * 2 ** Math.min(failures, 6)),
      },
      leadership: { databaseUrl: config.databaseUrl, onChange: (leading) => this.leading(leading) },
      handle: (events) => this.relay(events),
      afterBatch: (outcome) => {
        if (outcome.outcome === 'idle') this.lag.set(0);
      },
      onError: (error, failure) => this.failed(error, failure),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // A new connection may face a new broker: declare region queues again on first use.
    await this.amqp.register(async () => this.declaredRegions.clear());
    this.runner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }

  private leading(leading: boolean): void {
    this.leader = leading;
    if (leading) this.logger.info('outbox relay active');
  }

  private async relay(events: RecordedEvent[]): Promise<void> {
    const oldest = events[0];
    this.lag.set(oldest ? (Date.now() - oldest.recordedAt.getTime()) / 1000 : 0);
    await this.publish(events);
    this.published.inc(events.length);
  }

  private failed(error: unknown, failure: SubscriptionFailure): void {
    switch (failure.during) {
      case 'batch':
        this.failures.inc();
        this.logger.error(
          {
            err: error,
            retryInMs: failure.retryInMs,
            checkpoint: failure.checkpoint && show(failure.checkpoint),
          },
          'relay batch failed; nothing skipped, retrying',
        );
        return;
      case 'acquiring-leadership':
        this.logger.warn({ err: error }, 'relay could not reach the database');
        return;
      case 'leading':
        // Never let the relay die (an unhandled rejection would stop the catalog): step down, retry.
        this.logger.error({ err: error }, 'outbox relay stopped; retrying in a second');
        return;
      case 'releasing-leadership':
        this.logger.warn(
          { err: error },
          'could not release the relay leadership cleanly; PostgreSQL frees it with the connection',
        );
        return;
    }
  }

  private async publish(events: RecordedEvent[]): Promise<void> {
    const requests = events.flatMap(publicationsOf);
    await this.ensureRegionQueues(requests);
    try {
      await this.publisher.publishBatch(requests);
    } catch (error) {
      if (error instanceof UnroutableMessageError) this.declaredRegions.clear(); // a queue was deleted: declare again
      throw error;
    }
  }

  /**
   * A request waits in its region's durable queue until a replicator for that region
   * starts; the relay declares the queue on first use so nothing accepted is unroutable.
   */
  private async ensureRegionQueues(requests: PublishRequest[]): Promise<void> {
    const regions = new Set<string>();
    for (const r of requests)
      if (r.exchange === REPLICATION_EXCHANGE) regions.add(r.routingKey.split('.').pop()!);
    const missing = [...regions].filter((r) => !this.declaredRegions.has(r));
    if (missing.length === 0) return;
    const connection = this.amqp.current();
    if (!connection) throw new Error('broker not connected');
    const channel = await connection.createChannel();
    try {
      await declareTopology(channel, {
        replicatorRegions: missing,
        deliveryLimit: this.deliveryLimit,
      });
      for (const r of missing) this.declaredRegions.add(r);
    } finally {
      await channel
        .close()
        .catch((error: unknown) =>
          this.logger.debug(
            { err: error },
            'closing a queue-declaring channel failed; the connection closes it',
          ),
        );
    }
  }
}

const show = (c: Checkpoint) => `${c.transactionId}:${c.position}`;
