import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import {
  AmqpConsumer,
  type AmqpConsumerOptions,
  type Delivery,
  type EnvelopeHandler,
} from './amqp-consumer';
import type { AmqpConnectionManager } from './connection-manager';

/** The `@Ctx()` of an `@EventPattern` handler: the delivery behind the envelope. */
export class AmqpContext extends BaseRpcContext<[Delivery]> {
  get delivery(): Delivery {
    return this.args[0];
  }
  get deliveryCount(): number {
    return this.delivery.deliveryCount;
  }
  get redelivered(): boolean {
    return this.delivery.redelivered;
  }
  get routingKey(): string {
    return this.delivery.routingKey;
  }
  get messageId(): string | undefined {
    return this.delivery.messageId;
  }
}

export type AmqpTransportOptions = Omit<AmqpConsumerOptions, 'handlerFor'>;

/**
 * Nest custom transport: `@EventPattern('<message type>')` handlers fed by an AmqpConsumer.
 * The handler's completion (or failure) decides ack / requeue; see AmqpConsumer.
 * The connection manager belongs to the caller, who closes it after the microservice.
 */
export class AmqpTransport extends Server implements CustomTransportStrategy {
  private consumer: AmqpConsumer | undefined;

  constructor(
    private readonly manager: AmqpConnectionManager,
    private readonly options: AmqpTransportOptions,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** Nest 11 asks every transport for event listeners; this one reports through its logger. */
  on(): void {
    throw new Error('AmqpTransport has no events; watch the AmqpConnectionManager instead');
  }

  unwrap<T>(): T {
    return this.manager as T;
  }

  private async start(): Promise<void> {
    await this.manager.start();
    this.consumer = new AmqpConsumer(this.manager, {
      ...this.options,
      handlerFor: (type) => this.handlerFor(type),
    });
    await this.consumer.start();
  }

  private handlerFor(type: string): EnvelopeHandler | undefined {
    const handler = this.getHandlerByPattern(type);
    if (!handler) return undefined;
    return async (envelope, delivery) => {
      // Nest turns a thrown error into an erroring Observable; waiting for it keeps the ack
      // until the handler (and its database commit) is really done.
      const result: unknown = await handler(envelope, new AmqpContext([delivery]));
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    };
  }
}
