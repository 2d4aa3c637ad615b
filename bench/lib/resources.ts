import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { dropDatabase } from '@snapferry/testing';

/**
 * Fresh, uniquely named PostgreSQL databases, RabbitMQ vhosts and directories for one bench
 * run, all removed by `cleanup()` (also on failure), so the shared servers keep nothing.
 */

const run = promisify(execFile);
const serverUrl =
  process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const amqpBase = process.env['BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * `rabbitmqctl -q …`, tried three times 2 s apart: on a loaded machine the CLI's own Erlang
 * node sometimes fails to reach the broker in time. Its output is in the error.
 */
async function rabbitmqctl(args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
      return;
    } catch (error) {
      if (attempt === 3) {
        const { stderr, stdout } = error as { stderr?: string; stdout?: string };
        throw new Error(
          `rabbitmqctl ${args.join(' ')} failed: ${stderr || stdout || String(error)}`,
        );
      }
      await new Promise((done) => setTimeout(done, 2_000));
    }
  }
}

let counter = 0;
const stamp = `${Date.now().toString(36)}_${process.pid}`;
export const uniqueName = (prefix: string) => `${prefix}_${stamp}_${(counter += 1)}`;

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every Resources not yet cleaned up, so that Ctrl-C can still remove them. */
const live = new Set<Resources>();

export function cleanupAll(): Promise<unknown> {
  return Promise.all([...live].map((r) => r.cleanup()));
}

export class Resources {
  private readonly undo: (() => Promise<unknown>)[] = [];

  constructor() {
    live.add(this);
  }

  async database(prefix = 'snapferry_bench'): Promise<string> {
    const name = uniqueName(prefix);
    await admin((c) => c.query(`CREATE DATABASE "${name}"`));
    this.undo.push(() => admin((c) => dropDatabase(c, name)));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async vhost(prefix = 'snapferry_bench'): Promise<string> {
    const name = uniqueName(prefix);
    await rabbitmqctl(['add_vhost', name]);
    this.undo.push(() => rabbitmqctl(['delete_vhost', name]));
    await rabbitmqctl(['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
    const url = new URL(amqpBase);
    url.pathname = `/${encodeURIComponent(name)}`;
    return url.toString();
  }

  async dir(prefix = 'snapferry-bench-'): Promise<string> {
    const path = await mkdtemp(join(process.env['BENCH_TMPDIR'] ?? tmpdir(), prefix));
    this.undo.push(() => rm(path, { recursive: true, force: true }));
    return path;
  }

  /** Runs `fn` at cleanup time, before what was registered earlier (e.g. stop a process before dropping its database). */
  onCleanup(fn: () => Promise<unknown>): void {
    this.undo.push(fn);
  }

  async cleanup(): Promise<void> {
    live.delete(this);
    while (this.undo.length > 0) {
      const step = this.undo.pop()!;
      await step().catch((error: unknown) =>
        process.stderr.write(`bench cleanup: ${String(error)}\n`),
      );
    }
  }
}
