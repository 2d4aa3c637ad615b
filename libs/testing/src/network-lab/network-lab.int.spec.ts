import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Client } from 'pg';
import { BrokerProbe } from '../broker-probe';
import { createTestBroker, type TestBroker } from '../test-broker';
import { createTestDatabase, type TestDatabase } from '../test-database';
import { uniqueName } from '../unique-name';
import { waitFor } from '../wait-for';
import { claimSubnet } from './claim-subnet';
import { formatOwner, labNames } from './lab-names';
import { removeLab } from './lab-teardown';
import { measureLinkThroughput } from './link-throughput';
import { createNetworkLab, type NetworkLab, type NetworkLabHost } from './network-lab';
import { networkLabAvailable } from './network-lab-available';
import { CommandError } from './run-command';
import { labInventory, sweepStaleLabs } from './stale-labs';

const availability = networkLabAvailable();
if (!availability.ok) console.warn(`network lab tests skipped: ${availability.reason}`);

const MiB = 1024 * 1024;

/** A node HTTP server inside `host` answering `body`; resolves with its port once it listens. */
async function serveInside(host: NetworkLabHost, body: string) {
  const script = `const s = require('node:http').createServer((q, r) => r.end(${JSON.stringify(body)}));
    s.listen(0, ${JSON.stringify(host.ip)}, () => console.log('port ' + s.address().port));`;
  const child = host.spawn([process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(/port (\d+)/.exec(line.toString())?.[1]) };
}

const curl = (host: NetworkLabHost, url: string, maxSeconds = 2) =>
  host.exec(['curl', '--silent', '--show-error', '--max-time', String(maxSeconds), url]);

/** Names of every lab link and namespace on the machine, straight from `ip`. */
function ipListing(): string {
  return (
    execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }) +
    execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8', timeout: 10_000 })
  );
}

(availability.ok ? describe : describe.skip)('network lab', () => {
  let lab: NetworkLab;
  let guangzhou: NetworkLabHost;
  let shanghai: NetworkLabHost;
  let db: TestDatabase;
  let broker: TestBroker;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [lab, db, broker] = await Promise.all([
      createNetworkLab({ hosts: ['ap-guangzhou', 'ap-shanghai'] }),
      createTestDatabase('sf_netlab'),
      createTestBroker('sf_netlab'),
    ]);
    guangzhou = lab.host('ap-guangzhou');
    shanghai = lab.host('ap-shanghai');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await lab?.destroy();
    await db?.drop();
    await broker?.cleanup();
  });

  it('gives each host its own namespace, address and eth0, with names unique to the lab', () => {
    expect(lab.subnet).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    expect(guangzhou.ip).not.toBe(shanghai.ip);
    expect(guangzhou.namespace).toBe(`sfnl${lab.id}-ap-guangzhou`);
    const listing = ipListing();
    expect(listing).toContain(guangzhou.namespace);
    expect(listing).toContain(`sfnl${lab.id}br`);
    expect(() => lab.host('eu-frankfurt')).toThrow(/no host eu-frankfurt/);
  });

  it('lets two hosts talk HTTP over the bridge, and nothing reach the root loopback', async () => {
    const server = await serveInside(guangzhou, 'hello from guangzhou');
    children.push(server.child);
    const { stdout } = await curl(shanghai, `http://${guangzhou.ip}:${server.port}/`);
    expect(stdout).toBe('hello from guangzhou');
    // The premise of the forwarders: the broker on the root's 127.0.0.1 is not there inside.
    await expect(curl(shanghai, 'http://127.0.0.1:5672/')).rejects.toThrow(CommandError);
  });

  it('reaches PostgreSQL and RabbitMQ from inside a host through the forwarders', async () => {
    const dbUrl = await lab.forward(db.url);
    const amqpUrl = await lab.forward(broker.url);
    expect(new URL(dbUrl).host).toMatch(new RegExp(`^${lab.gateway.replace(/\./g, '\\.')}:\\d+$`));
    expect(new URL(dbUrl).pathname).toBe(new URL(db.url).pathname);
    expect(new URL(amqpUrl).pathname).toBe(new URL(broker.url).pathname);
    expect(await lab.forward(db.url)).toBe(dbUrl); // one forwarder per target

    const queue = uniqueName('netlab_q');
    const script = `
      const { Client } = require(${JSON.stringify(require.resolve('pg'))});
      const amqp = require(${JSON.stringify(require.resolve('amqplib'))});
      (async () => {
        const client = new Client({ connectionString: process.env.DB, connectionTimeoutMillis: 5000 });
        await client.connect();
        const { rows } = await client.query('SELECT 1 AS one');
        await client.query('CREATE TABLE seen_from (host text)');
        await client.query('INSERT INTO seen_from VALUES ($1)', [process.env.HOST]);
        await client.end();
        const connection = await amqp.connect(process.env.AMQP, { timeout: 5000 });
        const channel = await connection.createChannel();
        await channel.assertQueue(process.env.QUEUE, { durable: false });
        await connection.close();
        console.log(JSON.stringify(rows[0]));
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const { stdout } = await shanghai.exec([process.execPath, '-e', script], {
      timeoutMs: 20_000,
      env: { ...process.env, DB: dbUrl, AMQP: amqpUrl, QUEUE: queue, HOST: shanghai.name },
    });
    expect(JSON.parse(stdout)).toEqual({ one: 1 });

    // What the host did landed in the test's own database and vhost.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('SELECT host FROM seen_from');
    await client.end();
    expect(rows).toEqual([{ host: 'ap-shanghai' }]);
    const probe = await BrokerProbe.open(broker.url);
    expect(await probe.queueExists(queue)).toBe(true);
    await probe.close();
  });

  it('spawns inside a host with the pid of the command itself, so signals reach it', async () => {
    const child = guangzhou.spawn(
      [process.execPath, '-e', 'console.log(process.pid); setInterval(() => {}, 1000)'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    expect(Number(line.toString().trim())).toBe(child.pid);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([null, 'SIGTERM']);
  });

  it('limits a host link to the given rate in both directions with tbf, and lifts it', async () => {
    await guangzhou.limitRate(2 * MiB);
    // 8 MiB at 2 MiB/s: about 4 s (tbf counts headers, so TCP gets ~95 % of the rate).
    const out = await measureLinkThroughput({
      server: guangzhou,
      client: shanghai,
      bytes: 8 * MiB,
    });
    expect(out.seconds).toBeGreaterThan(3.5);
    expect(out.seconds).toBeLessThan(7);
    const into = await measureLinkThroughput({
      server: shanghai,
      client: guangzhou,
      bytes: 4 * MiB,
    });
    expect(into.seconds).toBeGreaterThan(1.6);
    expect(into.seconds).toBeLessThan(4);

    await guangzhou.clearRate();
    await guangzhou.clearRate(); // nothing left to clear: still fine
    const free = await measureLinkThroughput({
      server: guangzhou,
      client: shanghai,
      bytes: 8 * MiB,
    });
    expect(free.seconds).toBeLessThan(1.5);
  });

  it('cut() makes a host unreachable (connections wait, they are not reset); restore() brings it back', async () => {
    const server = await serveInside(guangzhou, 'still here');
    children.push(server.child);
    const url = `http://${guangzhou.ip}:${server.port}/`;

    await guangzhou.cut();
    const refused = curl(shanghai, url, 1.5);
    await expect(refused).rejects.toThrow(CommandError);
    await refused.catch((error: CommandError) => expect(error.code).toBe(28)); // timed out
    await guangzhou.restore();
    expect((await waitFor(() => curl(shanghai, url), { timeoutMs: 3_000 })).stdout).toBe(
      'still here',
    );

    // A transfer under way survives a short cut: TCP retransmits once the link is back.
    await guangzhou.limitRate(1 * MiB);
    const transfer = measureLinkThroughput({ server: guangzhou, client: shanghai, bytes: 2 * MiB });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await guangzhou.cut();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await guangzhou.restore();
    const result = await transfer;
    expect(result.bytes).toBe(2 * MiB);
    expect(result.seconds).toBeGreaterThan(3); // ~2 s of data + the 1.5 s outage
    await guangzhou.clearRate();
  });

  it('destroy() kills what runs inside and leaves no namespace, veth or bridge; twice is fine', async () => {
    const solo = await createNetworkLab({ hosts: ['solo', 'duo'] });
    const sleeper = solo.host('solo').spawn(['sleep', '600'], { stdio: 'ignore' });
    const ended = once(sleeper, 'exit');
    await solo.forward(db.url);
    expect(ipListing()).toContain(`sfnl${solo.id}`);

    await solo.destroy();
    expect(await ended).toEqual([null, 'SIGKILL']);
    expect(ipListing()).not.toContain(`sfnl${solo.id}`);
    expect((await labInventory()).has(solo.id)).toBe(false);
    await expect(solo.destroy()).resolves.toBeUndefined();
    // The other lab is untouched.
    expect(ipListing()).toContain(guangzhou.namespace);
  });

  it('tears down a half-made lab (what a failed setup leaves) without complaint', async () => {
    const id = await claimSubnet();
    const names = labNames(id);
    execFileSync('ip', ['netns', 'add', names.namespace('made')]);
    const halfMade = {
      bridge: names.bridge,
      namespaces: [names.namespace('made'), names.namespace('never-made')],
      rootVeths: [names.rootVeth(0), names.rootVeth(1)],
    };
    await expect(removeLab(halfMade)).resolves.toBeUndefined();
    expect(ipListing()).not.toContain(`sfnl${id}`);
    await expect(removeLab(halfMade)).resolves.toBeUndefined();
  });

  it('sweeps labs whose owner process is gone, never one of a live or foreign owner', async () => {
    const gone = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    const pidns = /pidns=(\S+)/.exec(
      execFileSync('cat', [`/sys/class/net/sfnl${lab.id}br/ifalias`], { encoding: 'utf8' }),
    )![1]!;
    const stale = await claimSubnet();
    const foreign = await claimSubnet();
    try {
      const stamp = (id: string, owner: string) =>
        execFileSync('ip', ['link', 'set', 'dev', labNames(id).bridge, 'alias', owner]);
      stamp(stale, formatOwner({ pid: Number(gone), pidNamespace: pidns }));
      stamp(foreign, formatOwner({ pid: Number(gone), pidNamespace: 'pid4026500000' }));
      execFileSync('ip', ['netns', 'add', labNames(stale).namespace('left-behind')]);

      const removed = await sweepStaleLabs();
      expect(removed).toContain(stale);
      expect(removed).not.toContain(foreign);
      expect(removed).not.toContain(lab.id);
      const inventory = await labInventory();
      expect(inventory.has(stale)).toBe(false);
      expect(inventory.get(foreign)?.links).toEqual([labNames(foreign).bridge]);
      expect(inventory.has(lab.id)).toBe(true);
    } finally {
      for (const id of [stale, foreign]) {
        for (const args of [
          ['link', 'del', labNames(id).bridge],
          ['netns', 'del', labNames(id).namespace('left-behind')],
        ])
          spawnSync('ip', args, { stdio: 'ignore', timeout: 10_000 });
      }
    }
  });
});
