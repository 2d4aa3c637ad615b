import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  messageVersions,
  parseReplicationMessage,
  type ReplicationMessage,
  routingKeyOf,
} from '@snapferry/contracts';
import {
  AmqpConnectionManager,
  AmqpConsumer,
  ConfirmPublisher,
  declareTopology,
  type MessageEnvelope,
  REPLICATION_EXCHANGE,
  replicatorQueue,
} from '@snapferry/messaging';
import { RegionStores, storeStream, Throttle } from '@snapferry/storage';
import {
  createTestBroker,
  createTestDatabase,
  type TestBroker,
  replicationRequested,
  type TestDatabase,
  uniqueName,
  waitFor,
} from '@snapferry/testing';
import { JobsRepository } from '../jobs/jobs.repository';
import { CopySlots } from './copy-slots';
import { ReplicationRunner } from './replication-runner';

/**
 * Two or more replicator "processes" of one region (each its own runner, database pool, stores
 * and consumer, sharing the region's schema, data directory and queue), as several replicators
 * per region run in production.
 */

const region = 'ap-shanghai';
const snapId = () => `snap-${randomBytes(4).toString('hex')}`;
const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

interface Published {
  replicator: string;
  type: string;
  replicationId: string;
  attempt?: number;
}

interface Replicator {
  name: string;
  runner: ReplicationRunner;
  jobs: JobsRepository;
  /** Its consumer of the region's queue, once `consume` was called. */
  consumer?: AmqpConsumer;
  consumerAmqp?: AmqpConnectionManager;
  acked: Set<string>;
  close(): Promise<void>;
}

describe('several replicators of one region (real PostgreSQL, RabbitMQ and filesystem stores)', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let dataDir: string;
  let amqp: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let sources: RegionStores;
  const published: Published[] = [];
  const replicators: Replicator[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sf_shared');
    broker = await createTestBroker('sf_shared');
    dataDir = await mkdtemp(join(tmpdir(), 'snapferry-shared-'));
    amqp = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName('shared-publisher'),
      setup: (channel) =>
        declareTopology(channel, { catalogProgress: true, replicatorRegions: [region] }),
    });
    await amqp.start();
    publisher = await new ConfirmPublisher(amqp).start();
    sources = new RegionStores({ dataDir });
    const migrating = new DataSource({ type: 'postgres', url: db.url, poolSize: 1 });
    await migrating.initialize();
    await new JobsRepository(migrating, region).migrate();
    await migrating.destroy();
  });

  afterEach(async () => {
    for (const replicator of replicators.splice(0)) await replicator.close();
  });

  afterAll(async () => {
    await publisher?.close();
    await amqp?.close();
    await db?.drop();
    await broker?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A replicator process: own pool, own stores over the shared data directory, own instance id. */
  const startReplicator = async (
    name: string,
    {
      limit = 20,
      leaseMs = 3_000,
      bytesPerSec,
    }: { limit?: number; leaseMs?: number; bytesPerSec?: number },
  ): Promise<Replicator> => {
    const dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 6 });
    await dataSource.initialize();
    const jobs = new JobsRepository(dataSource, region);
    const stores = new RegionStores({ dataDir });
    const runner = new ReplicationRunner(
      new Map([
        [
          region,
          {
            region,
            jobs,
            target: stores.get(region),
            sourceStore: (r: string) => stores.get(r),
            slots: new CopySlots(limit),
            ...(bytesPerSec ? { throttle: new Throttle(bytesPerSec) } : {}),
          },
        ],
      ]),
      {
        publish: async (exchange, routingKey, envelope, options) => {
          const data = envelope.data as { replicationId: string; attempt?: number };
          published.push({
            replicator: name,
            type: envelope.type,
            replicationId: data.replicationId,
            ...(data.attempt === undefined ? {} : { attempt: data.attempt }),
          });
          await publisher.publish(exchange, routingKey, envelope, options);
        },
      },
      logger.child({ replicator: name }),
      new Registry(),
      { owner: uniqueName(`replicator-${name}`), leaseMs },
    );
    const replicator: Replicator = {
      name,
      runner,
      jobs,
      acked: new Set(),
      close: async () => {
        runner.stop();
        await replicator.consumer?.stop();
        await replicator.consumerAmqp?.close();
        await dataSource.destroy();
      },
    };
    replicators.push(replicator);
    return replicator;
  };

  /** Starts consuming the region's queue, prefetch = the limit (as start-replicator.ts does). */
  const consume = async (replicator: Replicator, prefetch: number): Promise<void> => {
    replicator.consumerAmqp = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName(`shared-consumer-${replicator.name}`),
    });
    await replicator.consumerAmqp.start();
    replicator.consumer = await new AmqpConsumer(replicator.consumerAmqp, {
      queues: [replicatorQueue(region)],
      prefetch,
      validate: (envelope) => parseReplicationMessage(envelope),
      handlerFor: (type) =>
        type === 'ReplicationRequested'
          ? (envelope: MessageEnvelope) =>
              replicator.runner.onRequested(envelope as ReplicationMessage<'ReplicationRequested'>)
          : undefined,
      onOutcome: (outcome, delivery) => {
        if (outcome === 'ack' && delivery.messageId) replicator.acked.add(delivery.messageId);
      },
    }).start();
  };

  const request = async (bytes: number): Promise<ReplicationMessage<'ReplicationRequested'>> => {
    const sourceSnapshotId = snapId();
    const manifest = await storeStream(
      sources.get('ap-guangzhou'),
      sourceSnapshotId,
      Readable.from([randomBytes(bytes)]),
      { accountId: 'alice', chunkSize: 64 * 1024 },
    );
    return replicationRequested(sourceSnapshotId, manifest, region);
  };

  /** Publishes as the catalog's relay does (message id = event id). */
  const send = (message: ReplicationMessage) =>
    publisher.publish(REPLICATION_EXCHANGE, routingKeyOf(message), message);

  const eventsOf = (replicationId: string, type: string) =>
    published.filter((p) => p.replicationId === replicationId && p.type === type);

  const terminal = new Set(['ReplicationCompleted', 'ReplicationFailed', 'ReplicationCancelled']);
  /** The most copies that ran at once: each from its Started to its outcome, per process. */
  const maxConcurrency = (): number => {
    const running = new Set<string>();
    let max = 0;
    for (const p of published) {
      const key = `${p.replicator}/${p.replicationId}`;
      if (p.type === 'ReplicationStarted') running.add(key);
      else if (terminal.has(p.type)) running.delete(key);
      max = Math.max(max, running.size);
    }
    return max;
  };

  it('two replicators given the same request at once: one copies, the other waits for it and then acks', async () => {
    const a = await startReplicator('a', { bytesPerSec: 512 * 1024 });
    const b = await startReplicator('b', { bytesPerSec: 512 * 1024 });
    const message = await request(1024 * 1024);
    const id = message.data.replicationId;
    const settledAt: Record<string, number> = {};
    const handled = (name: string, work: Promise<void>) =>
      work.then(() => void (settledAt[name] = published.length));
    await Promise.all([
      handled('a', a.runner.onRequested(message)),
      handled('b', b.runner.onRequested({ ...message })),
    ]);

    expect(eventsOf(id, 'ReplicationStarted')).toHaveLength(1);
    expect(eventsOf(id, 'ReplicationCompleted')).toHaveLength(1);
    const copier = eventsOf(id, 'ReplicationStarted')[0]!.replicator;
    const waiter = copier === 'a' ? 'b' : 'a';
    // The waiter's delivery ended (its ack) only after the copier's Completed went out.
    const completedAt = published.indexOf(eventsOf(id, 'ReplicationCompleted')[0]!);
    expect(settledAt[waiter]).toBeGreaterThan(completedAt);
    expect(await a.jobs.get(id)).toMatchObject({
      state: 'COMPLETED',
      attempts: 1,
      claimedBy: null,
    });
    const target = await sources.get(region).getManifest(message.data.targetSnapshotId);
    expect(target?.imageDigest).toBe(message.data.sourceDigest);
  });

  it('the limit holds across a lost consumer channel and two processes: never more than N copies at once', async () => {
    const limit = 2;
    const a = await startReplicator('a', { limit, bytesPerSec: 512 * 1024 });
    const b = await startReplicator('b', { limit, bytesPerSec: 512 * 1024 });
    await consume(a, limit);
    const first = await Promise.all([request(1024 * 1024), request(1024 * 1024)]);
    for (const message of first) await send(message);
    await waitFor(
      () => first.every((m) => eventsOf(m.data.replicationId, 'ReplicationStarted').length > 0),
      { timeoutMs: 10_000, what: 'the first copies running in a' },
    );

    // a's channel is lost while its copies run (as RabbitMQ's consumer_timeout or a network
    // blip does): their messages go back to the queue, and b is there to take them.
    await consume(b, limit);
    a.consumerAmqp!.recycle('test: the consumer channel is lost');
    const more = await Promise.all([1, 2, 3, 4].map(() => request(1024 * 1024)));
    for (const message of more) await send(message);

    const all = [...first, ...more];
    await waitFor(
      () =>
        all.every(
          (m) =>
            eventsOf(m.data.replicationId, 'ReplicationCompleted').length > 0 &&
            (a.acked.has(m.eventId) || b.acked.has(m.eventId)),
        ),
      { timeoutMs: 60_000, what: 'every copy completed and every request acked' },
    );
    expect(maxConcurrency()).toBeLessThanOrEqual(limit);
    for (const m of all) {
      expect(eventsOf(m.data.replicationId, 'ReplicationStarted')).toHaveLength(1);
      expect(eventsOf(m.data.replicationId, 'ReplicationCompleted')).toHaveLength(1);
      const target = await sources.get(region).getManifest(m.data.targetSnapshotId);
      expect(target?.imageDigest).toBe(m.data.sourceDigest);
    }
    // Both took part after the loss: the limit is the region's, not one process's.
    expect(new Set(published.map((p) => p.replicator))).toEqual(new Set(['a', 'b']));
  }, 90_000);

  it('a cancel that reaches another replicator stops the copy within seconds, even a copy that is quiet', async () => {
    // 4 KiB/s against 64 KiB chunks: the copy reports no progress for about 15 s.
    const a = await startReplicator('a', { bytesPerSec: 4 * 1024 });
    const b = await startReplicator('b', {});
    const message = await request(256 * 1024);
    const id = message.data.replicationId;
    const copying = a.runner.onRequested(message);
    await waitFor(() => eventsOf(id, 'ReplicationStarted').length > 0, {
      timeoutMs: 10_000,
      what: 'the copy running in a',
    });

    const cancelledAt = Date.now();
    await b.runner.onCancelRequested({
      eventId: randomUUID(),
      type: 'ReplicationCancelRequested',
      version: messageVersions.ReplicationCancelRequested,
      occurredAt: new Date().toISOString(),
      correlationId: message.correlationId,
      data: {
        replicationId: id,
        sourceSnapshotId: message.data.sourceSnapshotId,
        targetSnapshotId: message.data.targetSnapshotId,
        targetRegion: region,
        reason: 'target deleted',
        requestedAt: new Date().toISOString(),
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      copying.then(() => 'ended'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still copying'), 5_000))),
    ]).finally(() => clearTimeout(timer));
    expect(outcome).toBe('ended');
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(eventsOf(id, 'ReplicationCancelled')).toHaveLength(1);
    expect(eventsOf(id, 'ReplicationCompleted')).toHaveLength(0);
    expect(await a.jobs.get(id)).toMatchObject({ state: 'CANCELLED', claimedBy: null });
    expect(await sources.get(region).getManifest(message.data.targetSnapshotId)).toBeNull();
  });
});
