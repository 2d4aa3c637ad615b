import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplicationRequested, streamIds } from '@snapferry/domain';
import { createEventStoreDataSource, PostgresEventStore } from '@snapferry/event-store';
import { EVENTS_EXCHANGE, REPLICATION_EXCHANGE, replicatorQueue } from '@snapferry/messaging';
import { createTestBroker, createTestDatabase, waitFor } from '@snapferry/testing';
import { startCatalog, type RunningCatalog } from '../../apps/catalog/src/start-catalog';
import {
  apiClient,
  apiKeysEnv,
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import {
  BrokerProbe,
  connectionsOf,
  type Received,
  relayCheckpoint,
  relayLockHolders,
  rabbitmqctl,
} from '../support/broker-probe';

type Api = ReturnType<typeof apiClient>;

const id8 = () => randomBytes(4).toString('hex');

/** A ReplicationRequested as the catalog writes it, for a copy nobody will run. */
function requested(targetRegion: string): ReplicationRequested & { eventId: string } {
  return {
    eventId: randomUUID(),
    type: 'ReplicationRequested',
    data: {
      replicationId: `repl-${id8()}`,
      sourceSnapshotId: `snap-${id8()}`,
      targetSnapshotId: `snap-${id8()}`,
      targetRegion,
      accountId: 'alice',
      sourceRegion: 'ap-guangzhou',
      targetSnapshotName: 'relay probe',
      diskId: 'disk-aaaa0001',
      diskSizeGiB: 1,
      sizeBytes: 10,
      sourceDigest: '0'.repeat(64),
      encrypted: false,
      requestedAt: new Date().toISOString(),
    },
  };
}

/** Registers `count` NORMAL sources on distinct disks (one copy per source and region at a time). */
async function sources(api: Api, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      normalSnapshot(api, keys.alice, { diskId: `disk-${id8()}` }),
    ),
  );
}

async function copy(
  api: Api,
  sourceId: string,
  region: string,
): Promise<{ replicationId: string; snapshotId: string }> {
  const answer = await api
    .as(keys.alice)
    .post(`/v1/snapshots/${sourceId}/copies`, { destinationRegions: [region] });
  const result = answer.body.results?.[0];
  if (answer.status !== 202 || result?.code !== 'Success')
    throw new Error(`copy refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return result;
}

const replicationIdsOf = (messages: Received[]) =>
  messages.map((m) => m.json?.data?.replicationId as string);

async function relayFailures(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('snapferry_relay_failures_total'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('outbox relay traps (in-process catalog, real PostgreSQL and RabbitMQ)', () => {
  let t: TestCatalog;
  let probe: BrokerProbe;
  let store: PostgresEventStore;

  beforeAll(async () => {
    t = await startTestCatalog({ LOG_LEVEL: 'fatal' });
    probe = await BrokerProbe.open(t.env.AMQP_URL!);
    const dataSource = createEventStoreDataSource(t.env.DATABASE_URL!, [], {
      applicationName: 'relay-test',
      poolSize: 3,
    });
    await dataSource.initialize();
    store = new PostgresEventStore(dataSource);
    expect((await t.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await probe?.close();
    await store?.dataSource.destroy();
    await t?.stop();
  });

  it('publishes an event whose transaction committed after a later one, and never moves its checkpoint past it', async () => {
    const region = 'ap-chengdu';
    const onReplication = await probe.collect({
      exchange: REPLICATION_EXCHANGE,
      patterns: [`replication.requested.${region}`],
    });
    const onEvents = await probe.collect({
      exchange: EVENTS_EXCHANGE,
      patterns: [`ReplicationRequested.${region}`],
    });
    const early = requested(region);
    const late = requested(region);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let opened!: (xid: bigint) => void;
    const isOpen = new Promise<bigint>((resolve) => (opened = resolve));
    const first = store.transaction(async (tx) => {
      await tx.appendToStream(streamIds.replication(early.data.replicationId), [early], {
        expectedVersion: 'no_stream',
      });
      const [row] = await tx.query<{ xid: string }>(`SELECT pg_current_xact_id()::text AS xid`);
      opened(BigInt(row!.xid));
      await gate;
    });
    const earlyXid = await isOpen;
    // Takes a later global position and commits first.
    const lateAppend = await store.appendToStream(
      streamIds.replication(late.data.replicationId),
      [late],
      { expectedVersion: 'no_stream' },
    );

    // While the early transaction is open the relay may not publish past it nor checkpoint past it.
    for (let i = 0; i < 6; i++) {
      await sleep(250);
      const checkpoint = await relayCheckpoint(t.env.DATABASE_URL!);
      if (checkpoint) expect(checkpoint.transactionId).toBeLessThanOrEqual(earlyXid);
    }
    expect(replicationIdsOf(onReplication)).not.toContain(late.data.replicationId);

    release();
    await first;
    await waitFor(() => onReplication.length >= 2 && onEvents.length >= 2, {
      what: 'both requests published',
      timeoutMs: 10_000,
    });
    // Relayed in commit order: the early committer first on both exchanges, each exactly once.
    expect(replicationIdsOf(onReplication)).toEqual([
      early.data.replicationId,
      late.data.replicationId,
    ]);
    expect(replicationIdsOf(onEvents)).toEqual([early.data.replicationId, late.data.replicationId]);
    expect(onReplication.map((m) => m.messageId)).toEqual([early.eventId, late.eventId]);
    const checkpoint = await waitFor(async () => {
      const c = await relayCheckpoint(t.env.DATABASE_URL!);
      return c && c.transactionId > earlyXid && c;
    });
    expect(checkpoint.transactionId).toBeGreaterThan(earlyXid);
    expect(lateAppend.lastGlobalPosition).toBeGreaterThan(0n);
  });

  it('loses no ReplicationRequested when its AMQP connection is force-closed while requests are created', async () => {
    const region = 'ap-beijing';
    const ids = await sources(t.api, 10);
    const onRegion = await probe.collect({
      exchange: REPLICATION_EXCHANGE,
      patterns: [`replication.requested.${region}`],
    });
    const [before] = await connectionsOf(vhostOf(t.env.AMQP_URL!), 'snapferry-catalog-');
    expect(before).toBeDefined();

    const requests: Promise<{ replicationId: string }>[] = [];
    for (const [i, source] of ids.entries()) {
      requests.push(copy(t.api, source, region));
      if (i === 2 || i === 6) {
        const [current] = await connectionsOf(vhostOf(t.env.AMQP_URL!), 'snapferry-catalog-');
        if (current)
          await rabbitmqctl('close_connection', current.pid, 'test: connection lost mid-publish');
      } else await sleep(30);
    }
    const replicationIds = (await Promise.all(requests)).map((r) => r.replicationId);

    await waitFor(() => replicationIds.every((id) => replicationIdsOf(onRegion).includes(id)), {
      what: 'every request published after the reconnects',
      timeoutMs: 20_000,
    });
    const [after] = await waitFor(async () => {
      const c = await connectionsOf(vhostOf(t.env.AMQP_URL!), 'snapferry-catalog-');
      return c.length > 0 && c;
    });
    expect(after!.pid).not.toBe(before!.pid); // the connection really was replaced
    // The region's own queue holds every request too (at-least-once: duplicates allowed).
    const queued = await probe.channel.checkQueue(replicatorQueue(region));
    expect(queued.messageCount).toBeGreaterThanOrEqual(ids.length);
  });

  it('does not take an unroutable publish for success: a deleted region queue is declared again and gets the request', async () => {
    const region = 'ap-nanjing';
    const queue = replicatorQueue(region);
    const [one, two] = await sources(t.api, 2);
    const firstCopy = await copy(t.api, one!, region);
    await waitFor(
      async () =>
        (await probe.queueExists(queue)) &&
        (await probe.channel.checkQueue(queue)).messageCount === 1,
      {
        what: 'the relay declared the region queue and routed the first request',
      },
    );
    await probe.channel.deleteQueue(queue);
    const failuresBefore = await relayFailures(t.url);

    const secondCopy = await copy(t.api, two!, region);
    await waitFor(
      async () =>
        (await probe.queueExists(queue)) &&
        (await probe.channel.checkQueue(queue)).messageCount >= 1,
      {
        what: 'the region queue declared again with the second request in it',
        timeoutMs: 15_000,
      },
    );
    const got = await probe.channel.get(queue, { noAck: true });
    expect(got && JSON.parse(got.content.toString()).data.replicationId).toBe(
      secondCopy.replicationId,
    );
    expect(secondCopy.replicationId).not.toBe(firstCopy.replicationId);
    // The broker's basic.return failed the batch (and it was retried), it was not counted as published.
    expect(await relayFailures(t.url)).toBeGreaterThan(failuresBefore);
  });
});

function vhostOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

describe('two catalog instances on one database and vhost', () => {
  const instances: RunningCatalog[] = [];
  let cleanup: () => Promise<void>;
  let probe: BrokerProbe;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const db = await createTestDatabase('sf_int');
    const broker = await createTestBroker('sf_int');
    const dataDir = await mkdtemp(join(tmpdir(), 'snapferry-int-'));
    env = {
      ...process.env,
      DATABASE_URL: db.url,
      REPLICATOR_DATABASE_URL: db.url,
      AMQP_URL: broker.url,
      PORT: '0',
      SNAPFERRY_DATA_DIR: dataDir,
      SNAPFERRY_API_KEYS: apiKeysEnv,
      LOG_LEVEL: 'fatal',
    };
    cleanup = async () => {
      for (const c of instances.splice(0)) await c.stop();
      await db.drop();
      await broker.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    await probe?.close();
    await cleanup?.();
  });

  it('runs exactly one relay, publishes each request once, and fails over when the leader stops', async () => {
    const a = await startCatalog(env);
    instances.push(a);
    await waitFor(async () => (await relayLockHolders(env.DATABASE_URL!)) === 1, {
      what: 'first instance leads',
    });
    const b = await startCatalog(env);
    instances.push(b);
    probe = await BrokerProbe.open(env.AMQP_URL!);
    const published = await probe.collect({
      exchange: REPLICATION_EXCHANGE,
      patterns: ['replication.requested.#'],
    });
    const apiA = apiClient(a.url);
    const apiB = apiClient(b.url);
    await apiA.as(keys.operator).put('/v1/accounts/alice/beta');

    const ids = [...(await sources(apiA, 3)), ...(await sources(apiB, 3))];
    const copies: string[] = [];
    for (const [i, id] of ids.entries())
      copies.push((await copy(i % 2 ? apiA : apiB, id, 'ap-shanghai')).replicationId);
    await waitFor(() => copies.every((id) => replicationIdsOf(published).includes(id)), {
      what: 'all requests published',
    });
    await sleep(2_500); // quiet period: a second active relay would publish everything again
    expect(await relayLockHolders(env.DATABASE_URL!)).toBe(1);
    expect(replicationIdsOf(published).sort()).toEqual([...copies].sort());

    // The leader (a, the first up) stops; b takes the lock and relays what comes next.
    await a.stop();
    instances.splice(instances.indexOf(a), 1);
    await waitFor(async () => (await relayLockHolders(env.DATABASE_URL!)) === 1, {
      what: 'second instance takes over',
      timeoutMs: 10_000,
    });
    const [next] = await sources(apiB, 1);
    const after = await copy(apiB, next!, 'ap-shanghai');
    await waitFor(() => replicationIdsOf(published).includes(after.replicationId), {
      what: 'request relayed by the new leader',
    });
    await sleep(1_000);
    expect(replicationIdsOf(published).filter((id) => id === after.replicationId)).toHaveLength(1);
    expect(published).toHaveLength(copies.length + 1);
  });
});
