import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { AmqpConnectionManager } from './connection-manager';
import type { MessageEnvelope } from './envelope';
import { closeQuietly, errorDetails, silentLogger, type MessagingLogger } from './logger';

/** The broker accepted the message but no queue was bound to its routing key. */
export class UnroutableMessageError extends Error {
  override readonly name = 'UnroutableMessageError';
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly messageId: string,
    readonly replyText: string,
  ) {
    super(`message ${messageId} to ${exchange} with key ${routingKey} is unroutable: ${replyText}`);
  }
}

/** The broker refused the message (basic.nack), e.g. a full queue with reject-publish. */
export class PublishNackedError extends Error {
  override readonly name = 'PublishNackedError';
}

/** No channel, or it closed before the broker confirmed: the message may or may not have arrived. */
export class PublishInterruptedError extends Error {
  override readonly name = 'PublishInterruptedError';
}

export interface PublishOptions {
  headers?: Record<string, unknown>;
  /** Defaults to true: an unroutable message is an error here. */
  mandatory?: boolean;
  expiration?: string | number;
}

export interface PublishRequest {
  exchange: string;
  routingKey: string;
  envelope: MessageEnvelope;
  options?: PublishOptions;
}

export interface ConfirmPublisherOptions {
  logger?: MessagingLogger;
  /** Frames the channel buffers before `publish` waits for 'drain' (amqplib default 1024). */
  highWaterMark?: number;
}

interface Pending {
  messageId: string;
  channel: ConfirmChannel;
  returned?: Message;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Publishes JSON envelopes on a confirm channel. `publish` resolves only when the broker
 * has taken responsibility for the message: acked and routed to at least one queue.
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  private readonly pending = new Set<Pending>();
  private drained: Promise<void> | undefined;
  private drainWaits = 0;
  private unregister: (() => void) | undefined;
  private closed = false;
  private readonly logger: MessagingLogger;

  constructor(
    private readonly manager: AmqpConnectionManager,
    private readonly options: ConfirmPublisherOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Opens the confirm channel now (when connected) and again after every reconnect. */
  async start(): Promise<this> {
    this.unregister ??= await this.manager.register((connection) => this.open(connection));
    return this;
  }

  isReady(): boolean {
    return this.channel !== undefined;
  }

  /** How often publishing paused for a full write buffer (a metric; tests use it too). */
  get backpressureWaits(): number {
    return this.drainWaits;
  }

  async publish(
    exchange: string,
    routingKey: string,
    envelope: MessageEnvelope,
    options: PublishOptions = {},
  ): Promise<void> {
    // Backpressure: while the socket buffer is full, later publishes wait for 'drain'.
    while (this.drained) await this.drained;
    const channel = this.channel;
    if (!channel) throw new PublishInterruptedError('not connected to RabbitMQ');
    const properties: Options.Publish = {
      persistent: true,
      mandatory: options.mandatory ?? true,
      messageId: envelope.eventId,
      correlationId: envelope.correlationId,
      contentType: 'application/json',
      type: envelope.type,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { 'x-message-version': envelope.version, ...options.headers },
      ...(options.expiration !== undefined ? { expiration: options.expiration } : {}),
    };
    const body = Buffer.from(JSON.stringify(envelope));
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        messageId: envelope.eventId,
        channel,
        resolve: () => this.settle(entry) && resolve(),
        reject: (error) => this.settle(entry) && reject(error),
      };
      this.pending.add(entry);
      let flushed: boolean;
      try {
        flushed = channel.publish(exchange, routingKey, body, properties, (error: unknown) =>
          this.onConfirm(entry, exchange, routingKey, error),
        );
      } catch (error) {
        entry.reject(new PublishInterruptedError(`publish failed: ${errorDetails(error).err}`));
        return;
      }
      if (!flushed) this.waitForDrain(channel);
    });
  }

  /** Publishes all, then waits for every confirm; rejects with the first failure. */
  async publishBatch(requests: readonly PublishRequest[]): Promise<void> {
    const results = await Promise.allSettled(
      requests.map((r) => this.publish(r.exchange, r.routingKey, r.envelope, r.options)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unregister?.();
    const channel = this.channel;
    this.channel = undefined;
    if (channel) {
      // Let in-flight confirms arrive before closing; a broken channel rejects them instead
      // (their publishers see that rejection themselves).
      await closeQuietly('in-flight confirms', () => channel.waitForConfirms(), this.logger);
      await closeQuietly('the publisher channel', () => channel.close(), this.logger);
    }
    this.rejectAll(undefined, new PublishInterruptedError('publisher closed'));
  }

  private async open(connection: ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel(
      this.options.highWaterMark ? { highWaterMark: this.options.highWaterMark } : undefined,
    );
    channel.on('error', (error: Error) =>
      this.logger.warn(errorDetails(error), 'publisher channel error'),
    );
    // RabbitMQ sends basic.return before the ack of the same message.
    channel.on('return', (message: Message) => this.onReturn(channel, message));
    channel.on('close', () => this.onChannelClosed(channel, connection));
    this.channel = channel;
  }

  private onReturn(channel: ConfirmChannel, message: Message): void {
    const messageId = String(message.properties.messageId);
    for (const entry of this.pending) {
      if (entry.channel === channel && entry.messageId === messageId && !entry.returned) {
        entry.returned = message;
        return;
      }
    }
  }

  private onConfirm(entry: Pending, exchange: string, routingKey: string, error: unknown): void {
    if (error) {
      const nacked = error instanceof Error && error.message === 'message nacked';
      entry.reject(
        nacked
          ? new PublishNackedError(`broker refused message ${entry.messageId}`)
          : new PublishInterruptedError(
              `channel closed before message ${entry.messageId} was confirmed`,
            ),
      );
    } else if (entry.returned) {
      entry.reject(
        new UnroutableMessageError(
          exchange,
          routingKey,
          entry.messageId,
          returnReason(entry.returned),
        ),
      );
    } else {
      entry.resolve();
    }
  }

  private onChannelClosed(channel: ConfirmChannel, connection: ChannelModel): void {
    this.rejectAll(
      channel,
      new PublishInterruptedError('channel closed before the broker confirmed'),
    );
    if (this.channel !== channel) return;
    this.channel = undefined;
    // A channel-level error (e.g. an unknown exchange) closes only the channel: open another.
    if (!this.closed && this.manager.current() === connection) {
      this.open(connection).catch((error: unknown) => {
        this.logger.warn(errorDetails(error), 'could not reopen the publisher channel');
        this.manager.recycle('publisher channel lost');
      });
    }
  }

  private waitForDrain(channel: ConfirmChannel): void {
    if (this.drained) return;
    this.drainWaits += 1;
    this.drained = new Promise<void>((resolve) => {
      const done = () => {
        channel.off('drain', done);
        channel.off('close', done);
        this.drained = undefined;
        resolve();
      };
      channel.on('drain', done);
      channel.on('close', done);
    });
  }

  private rejectAll(channel: ConfirmChannel | undefined, error: Error): void {
    for (const entry of [...this.pending])
      if (!channel || entry.channel === channel) entry.reject(error);
  }

  /** True the first time only, so a late confirm after a close-rejection is ignored. */
  private settle(entry: Pending): boolean {
    return this.pending.delete(entry);
  }
}

function returnReason(message: Message): string {
  const fields = message.fields as { replyCode?: number; replyText?: string };
  return `${fields.replyCode ?? ''} ${fields.replyText ?? 'returned'}`.trim();
}
