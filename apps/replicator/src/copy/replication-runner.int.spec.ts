import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { type ReplicationMessage } from '@snapferry/contracts';
import {
  AmqpConnectionManager,
  ConfirmPublisher,
  declareTopology,
  REPLICATION_EXCHANGE,
} from '@snapferry/messaging';
import { RegionStores, storeStream } from '@snapferry/storage';
import {
  BrokerProbe,
  type Received,
  createTestBroker,
  createTestDatabase,
  uniqueName,
  type TestBroker,
  replicationRequested,
  type TestDatabase,
} from '@snapferry/testing';
import { JobsRepository } from '../jobs/jobs.repository';
import { CopySlots } from './copy-slots';
import { newInstanceId, ReplicationRunner } from './replication-runner';

const snapId = () => `snap-${randomBytes(4).toString('hex')}`;

describe('ReplicationRunner (real PostgreSQL, RabbitMQ and filesystem stores)', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let dataSource: DataSource;
  let amqp: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let probe: BrokerProbe;
  let published: Received[];
  let dataDir: string;
  let stores: RegionStores;
  let runner: ReplicationRunner;
  let jobs: JobsRepository;

  beforeAll(async () => {
    db = await createTestDatabase('sf_runner');
    broker = await createTestBroker('sf_runner');
    dataDir = await mkdtemp(join(tmpdir(), 'snapferry-runner-'));
    dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 4 });
    await dataSource.initialize();
    jobs = new JobsRepository(dataSource, 'ap-shanghai');
    await jobs.migrate();
    amqp = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName('runner'),
      setup: (channel) => declareTopology(channel, { catalogProgress: true }),
    });
    await amqp.start();
    publisher = await new ConfirmPublisher(amqp).start();
    probe = await BrokerProbe.open(broker.url);
    published = await probe.collect({ exchange: REPLICATION_EXCHANGE, patterns: ['#'] });
    stores = new RegionStores({ dataDir });
    runner = new ReplicationRunner(
      new Map([
        [
          'ap-shanghai',
          {
            region: 'ap-shanghai',
            jobs,
            target: stores.get('ap-shanghai'),
            sourceStore: (region) => stores.get(region),
            slots: new CopySlots(20),
          },
        ],
      ]),
      publisher,
      pino({ level: 'silent' }),
      new Registry(),
      { owner: newInstanceId(), leaseMs: 30_000 },
    );
  });
  afterAll(async () => {
    runner?.stop();
    await probe?.close();
    await publisher?.close();
    await amqp?.close();
    await dataSource?.destroy();
    await db?.drop();
    await broker?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  const request = async (): Promise<ReplicationMessage<'ReplicationRequested'>> => {
    const sourceSnapshotId = snapId();
    const manifest = await storeStream(
      stores.get('ap-guangzhou'),
      sourceSnapshotId,
      Readable.from([randomBytes(256 * 1024)]),
      { accountId: 'alice', chunkSize: 16 * 1024 },
    );
    return replicationRequested(sourceSnapshotId, manifest, 'ap-shanghai');
  };

  const eventsOf = (replicationId: string, type: string) =>
    published.filter((m) => m.json?.type === type && m.json?.data?.replicationId === replicationId);

  it('runs one copy when the same request is delivered twice at once', async () => {
    const message = await request();
    const results = await Promise.allSettled([
      runner.onRequested(message),
      runner.onRequested({ ...message }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const id = message.data.replicationId;
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the probe drain
    expect(eventsOf(id, 'ReplicationStarted')).toHaveLength(1);
    expect(eventsOf(id, 'ReplicationCompleted')).toHaveLength(1);
    expect((await jobs.get(id))?.attempts).toBe(1);
    const target = await stores.get('ap-shanghai').getManifest(message.data.targetSnapshotId);
    expect(target?.totalLength).toBe(256 * 1024);
  });

  it('stop() reaches every attempt, also one waiting behind another', async () => {
    const message = await request();
    const first = runner.onRequested(message);
    const second = runner.onRequested({ ...message, eventId: randomUUID() });
    runner.stop();
    const results = await Promise.allSettled([first, second]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        name: 'ShuttingDownError',
      });
    }
  });
});
