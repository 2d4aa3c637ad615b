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

export { BrokerProbe, type Received } from '@snapferry/testing';

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
