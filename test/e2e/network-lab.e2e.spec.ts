import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNetworkLab,
  createTestBroker,
  createTestDatabase,
  type NetworkLab,
  networkLabAvailable,
  type TestBroker,
  type TestDatabase,
  waitFor,
} from '@snapferry/testing';
import { ServiceProcess, withProcessOutput } from '../support/process-harness';

const availability = networkLabAvailable();
if (!availability.ok) console.warn(`network lab e2e skipped: ${availability.reason}`);

const pidsIn = (ns: string) =>
  execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 10_000 })
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

(availability.ok ? describe : describe.skip)('a service process inside a network lab host', () => {
  let lab: NetworkLab;
  let db: TestDatabase;
  let broker: TestBroker;
  let dataDir: string;
  let replicator: ServiceProcess | undefined;

  beforeAll(async () => {
    [lab, db, broker, dataDir] = await Promise.all([
      createNetworkLab({ hosts: ['ap-shanghai', 'ap-guangzhou'] }),
      createTestDatabase('sf_netlab'),
      createTestBroker('sf_netlab'),
      mkdtemp(join(tmpdir(), 'snapferry-netlab-')),
    ]);
  });
  afterAll(async () => {
    if (replicator?.running) await replicator.kill('SIGKILL');
    await lab?.destroy();
    await db?.drop();
    await broker?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'runs on the host address, reaches PostgreSQL and RabbitMQ through the forwarders, and kill()/restart() reach node itself',
    withProcessOutput(async () => {
      const shanghai = lab.host('ap-shanghai');
      const databaseUrl = await lab.forward(db.url);
      replicator = new ServiceProcess(
        'replicator',
        {
          ...process.env,
          DATABASE_URL: databaseUrl,
          REPLICATOR_DATABASE_URL: databaseUrl,
          AMQP_URL: await lab.forward(broker.url),
          REPLICATOR_REGIONS: 'ap-shanghai',
          REPLICATOR_PORT: '0',
          SNAPFERRY_DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
        },
        { within: shanghai },
      );
      await replicator.start();
      expect(replicator.url).toMatch(
        new RegExp(`^http://${shanghai.ip.replace(/\./g, '\\.')}:\\d+$`),
      );
      const health = async () => (await fetch(`${replicator!.url}/health`)).status;
      expect(await health()).toBe(200); // database and broker ready, seen from inside
      // Another host reaches it over the bridge too.
      const { stdout } = await lab
        .host('ap-guangzhou')
        .exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `${replicator.url}/health`]);
      expect(stdout).toBe('200');

      // `ip netns exec` execs: the pid ServiceProcess holds is node's, inside the namespace.
      expect(pidsIn(shanghai.namespace)).toEqual([replicator.pid]);
      expect((await replicator.kill('SIGKILL')).signal).toBe('SIGKILL');
      expect(pidsIn(shanghai.namespace)).toEqual([]);

      const url = replicator.url;
      await replicator.restart();
      expect(replicator.url).toBe(url); // same host, same port
      await waitFor(async () => (await health()) === 200, { timeoutMs: 10_000, what: 'health' });
      expect((await replicator.kill('SIGTERM')).code).toBe(0);
    }),
  );
});
