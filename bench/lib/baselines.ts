import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { Client } from 'pg';
import { createEventStoreDataSource, PostgresEventStore } from '@snapferry/event-store';
import { percentile } from './stats';
import { pool } from './stack';

/**
 * The parts Snapferry is built on, driven directly: the limits its figures are compared with.
 * Each takes a fresh database or vhost from the caller.
 */

export interface Rate {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** A payload about the size of one of our events. */
const payload = () => ({
  id: randomUUID(),
  region: 'bx-dst1',
  sourceSnapshotId: 'snap-abcdefgh',
  at: new Date().toISOString(),
  pad: 'x'.repeat(200),
});

/** The rate of `amount` operations since `started` (a performance.now()), with their latencies' p50 and p99. */
function rateSince(started: number, amount: number, latencies: number[]): Rate {
  const seconds = (performance.now() - started) / 1000;
  return {
    perSec: amount / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Single-row INSERT commits (autocommit) from `connections` connections. */
export async function pgInsertRate(
  url: string,
  connections: number,
  amount: number,
): Promise<Rate> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  try {
    await clients[0]!.query(
      `CREATE TABLE bench_insert (id bigserial PRIMARY KEY, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (next < amount) {
          next += 1;
          const t = performance.now();
          await client.query('INSERT INTO bench_insert (data) VALUES ($1)', [
            JSON.stringify(payload()),
          ]);
          latencies.push(performance.now() - t);
        }
      }),
    );
    return rateSince(started, amount, latencies);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/** Persistent messages published on a confirm channel to a fresh quorum queue, confirmed in batches. */
export async function amqpConfirmRate(url: string, amount: number, batch = 100): Promise<Rate> {
  const connection = await connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    const queue = `bench.baseline.${randomUUID()}`;
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const body = Buffer.from(
      JSON.stringify({
        eventId: randomUUID(),
        type: 'ReplicationRequested',
        version: 1,
        data: payload(),
      }),
    );
    const started = performance.now();
    for (let sent = 0; sent < amount; sent += batch) {
      for (let i = 0; i < Math.min(batch, amount - sent); i += 1)
        channel.sendToQueue(queue, body, { persistent: true, contentType: 'application/json' });
      await channel.waitForConfirms();
    }
    const seconds = (performance.now() - started) / 1000;
    await channel.deleteQueue(queue);
    await channel.close();
    return { perSec: amount / seconds, p50Ms: Number.NaN, p99Ms: Number.NaN };
  } finally {
    await connection.close();
  }
}

/** `PostgresEventStore.appendToStream`, one event to a new stream per call, from `connections` writers. */
export async function eventAppendRate(
  url: string,
  connections: number,
  amount: number,
): Promise<Rate> {
  const dataSource = createEventStoreDataSource(url, [], {
    poolSize: connections,
    applicationName: 'snapferry-bench',
  });
  await dataSource.initialize();
  try {
    const store = new PostgresEventStore(dataSource);
    const latencies: number[] = [];
    const started = performance.now();
    await pool(amount, connections, async (i) => {
      const t = performance.now();
      await store.appendToStream(`bench-${i}`, [{ type: 'BenchAppended', data: payload() }], {
        expectedVersion: 'no_stream',
      });
      latencies.push(performance.now() - t);
    });
    return rateSince(started, amount, latencies);
  } finally {
    await dataSource.destroy();
  }
}

function exec(cmd: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${cmd} exited ${code}`))));
  });
}

/**
 * Flushes dirty pages to disk (`sync`) before a timed step, so that each figure starts from a
 * quiet disk: writing the benchmark's own image files leaves a gigabyte to write back, which
 * would otherwise slow whichever step comes next (every fsync waits behind it).
 */
export function settleDisk(): Promise<void> {
  return exec('sync', []);
}

/** Seconds for `cp file dest && sha256sum dest`: moving and hashing the bytes once, nothing more. */
export async function cpSha256Seconds(file: string, dest: string): Promise<number> {
  const started = performance.now();
  await exec('cp', [file, dest]);
  await exec('sha256sum', [dest]);
  const seconds = (performance.now() - started) / 1000;
  await exec('rm', ['-f', dest]);
  return seconds;
}

/**
 * Seconds for a Node.js process that only reads `file` and computes its SHA-256 (Node's
 * OpenSSL, 4 MiB reads): the floor of any upload that reports the image's SHA-256, as the
 * CLI's does. No parallelism shortens it: the hash runs through the bytes in order.
 */
export async function nodeSha256Seconds(file: string): Promise<number> {
  const script = `
const { openSync, readSync } = require('node:fs');
const hash = require('node:crypto').createHash('sha256');
const fd = openSync(process.argv[1], 'r');
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; )
  hash.update(buffer.subarray(0, read));
process.stdout.write(hash.digest('hex'));`;
  const started = performance.now();
  await exec(process.execPath, ['-e', script, file]);
  return (performance.now() - started) / 1000;
}

/**
 * rsync's delta transfer of `changed` onto a copy of `previous` (what a DR copy by rsync of
 * the next day's image costs): `--no-whole-file` forces the delta algorithm that rsync skips
 * between local paths, `--inplace` updates the old copy as a remote rsync would.
 */
export async function rsyncDeltaSeconds(
  previous: string,
  changed: string,
  workDir: string,
): Promise<number> {
  const dest = `${workDir}/rsync-dest.img`;
  await exec('cp', [previous, dest]);
  await settleDisk(); // like every timed step, from a quiet disk
  const started = performance.now();
  await exec('rsync', ['--no-whole-file', '--inplace', changed, dest]);
  const seconds = (performance.now() - started) / 1000;
  await exec('rm', ['-f', dest]);
  return seconds;
}
