import { randomUUID } from 'node:crypto';
import { rabbitmqctl } from '@snapferry/testing';
import type { MessageEnvelope } from '../src';

export function envelope(
  type: string,
  data: unknown = {},
  eventId = randomUUID(),
): MessageEnvelope {
  return {
    eventId,
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    data,
  };
}

/** Broker-side close (what a broker restart or an operator does), by our connection_name. */
export async function closeConnectionsNamed(
  vhost: string,
  connectionName: string,
): Promise<number> {
  // The table output prints pids as close_connection wants them (<rabbit@host.1.2.3>); JSON does not.
  const stdout = await rabbitmqctl(['list_connections', 'pid', 'vhost', 'client_properties']);
  const pids = stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([, v, properties]) => v === vhost && properties?.includes(`"${connectionName}"`))
    .map(([pid]) => pid ?? '');
  for (const pid of pids) await rabbitmqctl(['close_connection', pid, 'test: forced close']);
  return pids.length;
}

export interface QueueRow {
  name: string;
  type: string;
  messages: number;
  arguments: unknown;
}

export async function listQueues(vhost: string): Promise<QueueRow[]> {
  const stdout = await rabbitmqctl([
    'list_queues',
    '-p',
    vhost,
    'name',
    'type',
    'messages',
    'arguments',
    '--formatter',
    'json',
  ]);
  return JSON.parse(stdout) as QueueRow[];
}
