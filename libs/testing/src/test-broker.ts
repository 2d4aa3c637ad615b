import { connect } from 'amqplib';
import { rabbitmqctl } from './rabbitmqctl';
import { uniqueName } from './unique-name';

export interface TestBroker {
  /** AMQP URL of a fresh virtual host owned by this test file. */
  url: string;
  vhost: string;
  cleanup(): Promise<void>;
}

const localDefault = 'amqp://guest:guest@127.0.0.1:5672';

export function adminAmqpUrl(): string {
  return process.env['TEST_AMQP_URL'] ?? process.env['AMQP_URL'] ?? localDefault;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: 2000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

let container: Promise<{ url: string; exec: (args: string[]) => Promise<unknown> }> | undefined;

async function startContainer() {
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const started = await new RabbitMQContainer('rabbitmq:3.10-management-alpine').start();
  return { url: started.getAmqpUrl(), exec: (args: string[]) => started.exec(args) };
}

/**
 * A virtual host with a unique name, so exchanges and queues with the product's fixed
 * names never collide between test files. Uses the running broker through rabbitmqctl;
 * falls back to a testcontainer where a Docker engine answers.
 */
export async function createTestBroker(prefix = 'sf_test'): Promise<TestBroker> {
  const vhost = uniqueName(prefix);
  const admin = adminAmqpUrl();
  if (await reachable(admin)) {
    await rabbitmqctl(['add_vhost', vhost]);
    await rabbitmqctl([
      'set_permissions',
      '-p',
      vhost,
      new URL(admin).username || 'guest',
      '.*',
      '.*',
      '.*',
    ]);
    const url = new URL(admin);
    url.pathname = `/${encodeURIComponent(vhost)}`;
    return {
      url: url.toString(),
      vhost,
      cleanup: async () => void (await rabbitmqctl(['delete_vhost', vhost])),
    };
  }
  container ??= startContainer();
  const c = await container;
  await c.exec(['rabbitmqctl', 'add_vhost', vhost]);
  await c.exec(['rabbitmqctl', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  const url = new URL(c.url);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: url.toString(),
    vhost,
    cleanup: async () => void (await c.exec(['rabbitmqctl', 'delete_vhost', vhost])),
  };
}
