import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';

export interface Received {
  routingKey: string;
  exchange: string;
  messageId: string | undefined;
  body: string;
  json: any;
  headers: Record<string, unknown>;
}

/** A test's own view of the broker: queues it binds, messages it collects, raw publishes. */
export class BrokerProbe {
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(url: string): Promise<BrokerProbe> {
    const connection = await connect(url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return new BrokerProbe(connection, channel);
  }

  /** Collects (and acks) every message of `queue`, or of a fresh exclusive queue bound to `exchange`/`patterns`. */
  async collect(
    source: { queue: string } | { exchange: string; patterns: string[] },
  ): Promise<Received[]> {
    const received: Received[] = [];
    let queue: string;
    if ('queue' in source) queue = source.queue;
    else {
      queue = (await this.channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
      for (const pattern of source.patterns)
        await this.channel.bindQueue(queue, source.exchange, pattern);
    }
    await this.channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      received.push(toReceived(message));
      this.channel.ack(message);
    });
    return received;
  }

  /** Whether a queue exists, on a throwaway channel (a 404 closes the channel it happens on). */
  async queueExists(queue: string): Promise<boolean> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(queue);
      await channel.close();
      return true;
    } catch {
      return false;
    }
  }

  publishRaw(
    exchange: string,
    routingKey: string,
    body: string | object,
    messageId?: string,
  ): void {
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.channel.publish(exchange, routingKey, content, {
      persistent: true,
      contentType: 'application/json',
      ...(messageId ? { messageId } : {}),
    });
  }

  async close(): Promise<void> {
    // Test teardown: a probe whose connection already dropped has nothing left to close.
    await this.connection.close().catch(() => undefined);
  }
}

function toReceived(message: ConsumeMessage): Received {
  const body = message.content.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return {
    routingKey: message.fields.routingKey,
    exchange: message.fields.exchange,
    messageId:
      typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined,
    body,
    json,
    headers: message.properties.headers ?? {},
  };
}
