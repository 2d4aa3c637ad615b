import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { AmqpConnectionManager } from './connection-manager';
import { parseEnvelope, type EnvelopeValidator, type MessageEnvelope } from './envelope';
import { closeQuietly, errorDetails, silentLogger, type MessagingLogger } from './logger';

/** What the transport knows about one delivery, beside the envelope. */
export interface Delivery {
  queue: string;
  exchange: string;
  routingKey: string;
  redelivered: boolean;
  /** Earlier unsuccessful deliveries, from the quorum queue's `x-delivery-count` header (0 on the first). */
  deliveryCount: number;
  messageId: string | undefined;
  message: ConsumeMessage;
}

export type EnvelopeHandler = (envelope: MessageEnvelope, delivery: Delivery) => Promise<unknown>;

/**
 * ack: handled (the handler's promise resolved, after its own commit).
 * requeue: the handler threw; the quorum queue counts it and dead-letters at the limit.
 * dead-letter: it can never succeed (not JSON, invalid, no handler): straight to the DLQ.
 */
export type DeliveryOutcome = 'ack' | 'requeue' | 'dead-letter';

export interface AmqpConsumerOptions {
  queues: readonly string[];
  /** Unacked messages per queue in flight at once. Default 20. */
  prefetch?: number;
  validate?: EnvelopeValidator;
  /** The handler for a message type, or undefined when this service has none. */
  handlerFor(type: string): EnvelopeHandler | undefined;
  logger?: MessagingLogger;
  /** Told of every outcome (metrics, tests). */
  onOutcome?(outcome: DeliveryOutcome, delivery: Delivery): void;
}

export function toDelivery(queue: string, message: ConsumeMessage): Delivery {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const count = Number(headers['x-delivery-count'] ?? 0);
  const messageId: unknown = message.properties.messageId;
  return {
    queue,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    redelivered: message.fields.redelivered,
    deliveryCount: Number.isFinite(count) ? count : 0,
    messageId: typeof messageId === 'string' ? messageId : undefined,
    message,
  };
}

/**
 * Consumes queues with manual acks and bounded prefetch and maps each handler's result to
 * ack / nack-requeue / nack-to-dead-letter. Resumes consuming after every reconnect.
 */
export class AmqpConsumer {
  private channel: Channel | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private consumerTags: string[] = [];
  private unregister: (() => void) | undefined;
  private stopping = false;
  private readonly logger: MessagingLogger;

  constructor(
    private readonly manager: AmqpConnectionManager,
    private readonly options: AmqpConsumerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<this> {
    this.stopping = false;
    this.unregister ??= await this.manager.register((connection) => this.open(connection));
    return this;
  }

  isConsuming(): boolean {
    return this.channel !== undefined;
  }

  /** Stops taking messages, lets handlers in flight finish (and ack), then closes the channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unregister?.();
    this.unregister = undefined;
    const channel = this.channel;
    if (!channel) return;
    for (const tag of this.consumerTags.splice(0))
      await closeQuietly(`consumer ${tag}`, () => channel.cancel(tag), this.logger);
    await Promise.allSettled([...this.inFlight]);
    this.channel = undefined;
    await closeQuietly('the consumer channel', () => channel.close(), this.logger);
  }

  private async open(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn(errorDetails(error), 'consumer channel error'),
    );
    channel.on('close', () => this.onChannelClosed(channel, connection));
    await channel.prefetch(this.options.prefetch ?? 20);
    // Set before consuming: a delivery can arrive before the next consume returns.
    this.channel = channel;
    this.consumerTags = [];
    for (const queue of this.options.queues) {
      const { consumerTag } = await channel.consume(
        queue,
        (message) => this.onMessage(channel, queue, message),
        { noAck: false },
      );
      this.consumerTags.push(consumerTag);
    }
    this.logger.info({ queues: this.options.queues }, 'consuming');
  }

  private onMessage(channel: Channel, queue: string, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (queue deleted): start over on a fresh connection.
      this.logger.warn({ queue }, 'consumer cancelled by the broker');
      if (!this.stopping) this.manager.recycle(`consumer of ${queue} cancelled`);
      return;
    }
    const work = this.process(channel, queue, message).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async process(channel: Channel, queue: string, message: ConsumeMessage): Promise<void> {
    const delivery = toDelivery(queue, message);
    const outcome = await this.decide(delivery);
    this.options.onOutcome?.(outcome, delivery);
    if (this.channel !== channel) return; // channel gone: the broker requeues it by itself
    try {
      if (outcome === 'ack') channel.ack(message);
      else channel.nack(message, false, outcome === 'requeue');
    } catch (error) {
      this.logger.warn(
        { ...errorDetails(error), messageId: delivery.messageId },
        'could not settle a delivery; it will be redelivered',
      );
    }
  }

  private async decide(delivery: Delivery): Promise<DeliveryOutcome> {
    const context = {
      queue: delivery.queue,
      routingKey: delivery.routingKey,
      messageId: delivery.messageId,
      deliveryCount: delivery.deliveryCount,
    };
    let envelope: MessageEnvelope;
    try {
      envelope = parseEnvelope(delivery.message.content);
      envelope = this.options.validate?.(envelope) ?? envelope;
    } catch (error) {
      this.logger.error({ ...context, ...errorDetails(error) }, 'invalid message; dead-lettering');
      return 'dead-letter';
    }
    const handler = this.options.handlerFor(envelope.type);
    if (!handler) {
      this.logger.error(
        { ...context, type: envelope.type },
        'no handler for message type; dead-lettering',
      );
      return 'dead-letter';
    }
    try {
      await handler(envelope, delivery);
      return 'ack';
    } catch (error) {
      this.logger.warn(
        {
          ...context,
          type: envelope.type,
          correlationId: envelope.correlationId,
          ...errorDetails(error),
        },
        'handler failed; requeueing',
      );
      return 'requeue';
    }
  }

  private onChannelClosed(channel: Channel, connection: ChannelModel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTags = [];
    if (this.stopping || this.manager.current() !== connection) return; // the reconnect re-opens it
    this.open(connection).catch((error: unknown) => {
      this.logger.warn(errorDetails(error), 'could not reopen the consumer channel');
      this.manager.recycle('consumer channel lost');
    });
  }
}
