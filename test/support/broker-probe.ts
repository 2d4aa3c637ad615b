import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';
import { Client } from 'pg';
import { rabbitmqctl as ctl } from '@snapferry/testing';

/** `rabbitmqctl -q <args>` on the shared broker (with a timeout), as tab-separated rows. */
export async function rabbitmqctl(...args: string[]): Promise<string[][]> {
  const stdout = await ctl(args, { timeoutMs: 30_000 });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

/** This vhost's AMQP connections whose client-given name starts with `prefix`. */
export async function connectionsOf(
  vhost: string,
  prefix: string,
): Promise<{ name: string; pid: string }[]> {
  // list_connections lists every vhost's connections: filter on the vhost column.
  const rows = await rabbitmqctl(
    'list_connections',
    '--no-table-headers',
    'vhost',
    'pid',
    'client_properties',
  );
  return rows
    .filter(([host]) => host === vhost)
    .map(([, pid, properties]) => ({
      pid: pid!,
      name: /\{"connection_name","([^"]*)"\}/.exec(properties ?? '')?.[1] ?? '',
    }))
    .filter((c) => c.name.startsWith(prefix));
}

/** Ready plus unacknowledged messages of a queue (checkQueue counts only the ready ones). */
export async function queueDepth(vhost: string, queue: string): Promise<number | undefined> {
  const rows = await rabbitmqctl(
    'list_queues',
    '-p',
    vhost,
    '--no-table-headers',
    'name',
    'messages',
  );
  const row = rows.find(([name]) => name === queue);
  return row ? Number(row[1]) : undefined;
}

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

/** One query on a fresh connection. */
export async function sqlOnce<Row = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** The checkpoint the outbox relay has stored. */
export async function relayCheckpoint(
  url: string,
): Promise<{ transactionId: bigint; position: bigint } | undefined> {
  const rows = await sqlOnce<{ tx: string; pos: string }>(
    url,
    `SELECT transaction_id::text AS tx, global_position::text AS pos FROM subscriptions WHERE name = 'outbox-relay'`,
  );
  const row = rows[0];
  return row ? { transactionId: BigInt(row.tx), position: BigInt(row.pos) } : undefined;
}

/** Sessions of this database holding the outbox relay's advisory lock. */
export async function relayLockHolders(url: string): Promise<number> {
  const rows = await sqlOnce<{ n: string }>(
    url,
    `SELECT count(*)::text AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'snapferry-leader:outbox-relay'
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return Number(rows[0]?.n ?? 0);
}
