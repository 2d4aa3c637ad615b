import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { rabbitmqctl } from './rabbitmqctl';
import { uniqueName } from './unique-name';

const run = promisify(execFile);

export interface PrivateBroker {
  /** AMQP URL of the node's default vhost. */
  url: string;
  node: string;
  /** `rabbitmqctl stop_app`: the node stays up, the broker inside it stops. */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app` and wait until it serves again. */
  startApp(): Promise<void>;
  /** Stops the whole node and deletes its data directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A RabbitMQ node of the test's own (own node name, ports and data directory), for tests that
 * stop a broker: stopping the machine's shared broker wedges every other test on it (3.10 was
 * seen to hang on the next `add_vhost` after a stop_app/start_app cycle). Started with the
 * machine's `rabbitmq-server`; every rabbitmqctl call has a timeout.
 */
export async function startPrivateBroker(): Promise<PrivateBroker> {
  const name = uniqueName('sfnode');
  const node = `${name}@localhost`;
  const dir = await mkdtemp(join(tmpdir(), 'snapferry-rabbit-'));
  // rabbitmq-server drops to the rabbitmq user: it must be able to write here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const distPort = await freePort();
  await writeFile(join(dir, 'enabled_plugins'), '[].\n', { mode: 0o644 });
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n`,
    { mode: 0o644 },
  );
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_PID_FILE: join(dir, 'node.pid'),
  };
  const ctl = (args: string[], timeoutMs = 60_000) => rabbitmqctl(args, { node, timeoutMs });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ctl(['stop'], 60_000).catch(async () => {
      // Not answering: make sure no node of ours outlives the test.
      const pid = Number(await readFile(join(dir, 'node.pid'), 'utf8').catch(() => ''));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
    await rm(dir, { recursive: true, force: true });
  };
  const awaitStartup = async () => {
    // The node registers with epmd a moment after `-detached` returns.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await ctl(['await_startup'], 30_000);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  try {
    await run('rabbitmq-server', ['-detached'], { env, timeout: 30_000 });
    await awaitStartup();
  } catch (error) {
    await stop();
    throw new Error(`could not start a private RabbitMQ node: ${(error as Error).message}`);
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    node,
    stopApp: async () => void (await ctl(['stop_app'])),
    startApp: async () => {
      await ctl(['start_app']);
      await awaitStartup();
    },
    stop,
  };
}
