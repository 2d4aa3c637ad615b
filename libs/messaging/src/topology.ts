import type { Channel } from 'amqplib';
import {
  cancelRoutingKey,
  catalogEventRoutingKey,
  EVENTS_EXCHANGE,
  PROGRESS_EVENT_TYPES,
  type ProgressEventType,
  progressRoutingKey,
  REPLICATION_EXCHANGE,
  requestRoutingKey,
} from '@snapferry/contracts';

export const DEAD_LETTER_EXCHANGE = 'snapferry.dead-letter';
/** Every dead-lettered message, kept for operators to inspect. */
export const DEAD_LETTER_QUEUE = 'snapferry.dead-letter';
export const CATALOG_PROGRESS_QUEUE = 'snapferry.catalog.progress';
export const DEFAULT_DELIVERY_LIMIT = 5;

// Exchange names and routing keys are part of the contract: one definition, in libs/contracts.
export {
  REPLICATION_EXCHANGE,
  EVENTS_EXCHANGE,
  PROGRESS_EVENT_TYPES,
  type ProgressEventType,
  requestRoutingKey,
  cancelRoutingKey,
  progressRoutingKey,
  catalogEventRoutingKey,
};

/** The catalog's progress queue binds one pattern per progress event, any region. */
export const CATALOG_PROGRESS_BINDINGS: readonly string[] = PROGRESS_EVENT_TYPES.map((type) =>
  progressRoutingKey(type, '*'),
);

export const replicatorQueue = (region: string) => `snapferry.replicator.${queueWord(region)}`;
/**
 * A region's cancels, apart from its requests: a replicator whose request prefetch is taken by
 * running (or waiting) copies still receives the cancel of one of them at once.
 */
export const replicatorCancelQueue = (region: string) => `${replicatorQueue(region)}.cancels`;
/** Requests for `region` that exhausted their delivery limit, so the replicator can fail them. */
export const replicatorDeadLetteredQueue = (region: string) =>
  `${replicatorQueue(region)}.dead-lettered`;

function queueWord(region: string): string {
  if (region === '' || /[.*#\s]/.test(region))
    throw new Error(`invalid region for a queue name: "${region}"`);
  return region;
}

export interface TopologyOptions {
  /** Declare the catalog's progress queue. */
  catalogProgress?: boolean;
  /** Declare these replicator regions' request queues and their dead-lettered queues. */
  replicatorRegions?: readonly string[];
  /**
   * Deliveries a message may fail before it is dead-lettered. Every service that declares
   * the same queue must use the same value (RabbitMQ refuses a redeclare with other args).
   */
  deliveryLimit?: number;
}

/**
 * Quorum queue arguments: the broker counts deliveries and dead-letters at the limit.
 * At-least-once dead-lettering needs `reject-publish` overflow on RabbitMQ 3.10.
 */
export function quorumQueueArguments(
  deliveryLimit: number,
  deadLetterRoutingKey?: string,
): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    ...(deadLetterRoutingKey ? { 'x-dead-letter-routing-key': deadLetterRoutingKey } : {}),
  };
}

async function quorumQueue(
  channel: Channel,
  name: string,
  args: Record<string, unknown>,
): Promise<void> {
  await channel.assertQueue(name, { durable: true, arguments: args });
}

/**
 * Declares Snapferry's exchanges, the dead-letter queue and the queues asked for.
 * Idempotent: each service runs it on every (re)connect.
 */
export async function declareTopology(
  channel: Channel,
  options: TopologyOptions = {},
): Promise<void> {
  const deliveryLimit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  for (const exchange of [REPLICATION_EXCHANGE, EVENTS_EXCHANGE, DEAD_LETTER_EXCHANGE]) {
    await channel.assertExchange(exchange, 'topic', { durable: true });
  }
  await quorumQueue(channel, DEAD_LETTER_QUEUE, { 'x-queue-type': 'quorum' });
  await channel.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '#');

  if (options.catalogProgress) {
    await quorumQueue(channel, CATALOG_PROGRESS_QUEUE, quorumQueueArguments(deliveryLimit));
    for (const pattern of CATALOG_PROGRESS_BINDINGS)
      await channel.bindQueue(CATALOG_PROGRESS_QUEUE, REPLICATION_EXCHANGE, pattern);
  }

  for (const region of options.replicatorRegions ?? []) {
    const queue = replicatorQueue(region);
    await quorumQueue(channel, queue, quorumQueueArguments(deliveryLimit));
    await channel.bindQueue(queue, REPLICATION_EXCHANGE, requestRoutingKey(region));
    const cancels = replicatorCancelQueue(region);
    await quorumQueue(channel, cancels, quorumQueueArguments(deliveryLimit));
    await channel.bindQueue(cancels, REPLICATION_EXCHANGE, cancelRoutingKey(region));
    // Brokers set up by earlier versions routed cancels into the request queue: no more
    // (only after the cancel queue is bound, so no cancel is unroutable meanwhile).
    await channel.unbindQueue(queue, REPLICATION_EXCHANGE, cancelRoutingKey(region));
    // Its own failures go on to the operators' queue under a key that does not route back here.
    const deadLettered = replicatorDeadLetteredQueue(region);
    await quorumQueue(
      channel,
      deadLettered,
      quorumQueueArguments(deliveryLimit, `${deadLettered}.failed`),
    );
    await channel.bindQueue(deadLettered, DEAD_LETTER_EXCHANGE, requestRoutingKey(region));
  }
}
