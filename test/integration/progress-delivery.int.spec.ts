import { randomBytes, randomUUID } from 'node:crypto';
import {
  messageVersions,
  type ReplicationMessage,
  type ReplicationMessages,
  routingKeyOf,
} from '@snapferry/contracts';
import {
  CATALOG_PROGRESS_QUEUE,
  DEAD_LETTER_QUEUE,
  REPLICATION_EXCHANGE,
  replicatorQueue,
} from '@snapferry/messaging';
import { waitFor } from '@snapferry/testing';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';
import { schemaFor } from '../../apps/replicator/src/jobs/jobs.repository';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { BrokerProbe, queueDepth, type Received, sqlOnce } from '../support/broker-probe';

const id8 = () => randomBytes(4).toString('hex');
type ProgressType = Exclude<
  keyof ReplicationMessages,
  'ReplicationRequested' | 'ReplicationCancelRequested'
>;
interface Copy {
  replicationId: string;
  snapshotId: string;
  sourceSnapshotId: string;
  targetRegion: string;
}

describe('delivery traps between catalog and replicator (in-process, real PostgreSQL and RabbitMQ)', () => {
  let t: TestCatalog;
  let replicator: RunningReplicator;
  let probe: BrokerProbe;
  let deadLetters: Received[];
  let vhost: string;

  beforeAll(async () => {
    // A small delivery limit so a failing handler reaches the dead-letter queue quickly.
    t = await startTestCatalog({ SNAPFERRY_DELIVERY_LIMIT: '2', LOG_LEVEL: 'fatal' });
    vhost = decodeURIComponent(new URL(t.env.AMQP_URL!).pathname.slice(1));
    replicator = await startReplicator({
      ...t.env,
      REPLICATOR_REGIONS: 'ap-shanghai,ap-singapore',
      REPLICATOR_PORT: '0',
      REPLICATOR_MAX_CONCURRENT_COPIES: '1',
    });
    probe = await BrokerProbe.open(t.env.AMQP_URL!);
    deadLetters = await probe.collect({ queue: DEAD_LETTER_QUEUE });
    await t.api.as(keys.operator).put('/v1/accounts/alice/beta');
  });
  afterAll(async () => {
    await probe?.close();
    await replicator?.stop();
    await t?.stop();
  });

  const alice = () => t.api.as(keys.alice);

  async function requestCopy(region: string): Promise<Copy> {
    const sourceSnapshotId = await normalSnapshot(t.api, keys.alice, { diskId: `disk-${id8()}` });
    const answer = await alice().post(`/v1/snapshots/${sourceSnapshotId}/copies`, {
      destinationRegions: [region],
    });
    const result = answer.body.results?.[0];
    if (result?.code !== 'Success') throw new Error(`copy refused: ${JSON.stringify(answer.body)}`);
    return {
      replicationId: result.replicationId,
      snapshotId: result.snapshotId,
      sourceSnapshotId,
      targetRegion: region,
    };
  }

  const replication = async (id: string) => (await alice().get(`/v1/replications/${id}`)).body;
  const snapshot = async (id: string) => (await alice().get(`/v1/snapshots/${id}`)).body;
  const storedEvents = (replicationId: string) =>
    sqlOnce<{ event_id: string; type: string; data: any }>(
      t.env.DATABASE_URL!,
      `SELECT event_id::text, type, data FROM events WHERE stream_id = $1 ORDER BY global_position`,
      [`replication-${replicationId}`],
    );

  function envelope<T extends ProgressType>(
    type: T,
    copy: Copy,
    data: Omit<ReplicationMessages[T], keyof Copy | 'sourceSnapshotId' | 'targetSnapshotId'>,
  ): ReplicationMessage {
    const ref = {
      replicationId: copy.replicationId,
      sourceSnapshotId: copy.sourceSnapshotId,
      targetSnapshotId: copy.snapshotId,
      targetRegion: copy.targetRegion,
    };
    return {
      eventId: randomUUID(),
      type,
      version: messageVersions[type],
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      data: { ...ref, ...data },
    } as unknown as ReplicationMessage;
  }
  const publish = (message: ReplicationMessage) =>
    probe.publishRaw(REPLICATION_EXCHANGE, routingKeyOf(message), message, message.eventId);
  /** The catalog has settled everything on its progress queue (ready and unacked). */
  const progressQueueDrained = () =>
    waitFor(async () => (await queueDepth(vhost, CATALOG_PROGRESS_QUEUE)) === 0, {
      what: 'progress queue drained',
    });

  it('a request whose handler keeps failing is dead-lettered at the delivery limit and ends ReplicationFailed', async () => {
    // Break the replicator's inbox for ap-singapore: every delivery throws (infrastructure error, requeue).
    await sqlOnce(t.env.DATABASE_URL!, `DROP TABLE ${schemaFor('ap-singapore')}.inbox`);
    const copy = await requestCopy('ap-singapore');
    const failed = await waitFor(
      async () => {
        const r = await replication(copy.replicationId);
        return r.state === 'FAILED' && r;
      },
      { what: 'replication FAILED', timeoutMs: 30_000 },
    );
    expect(failed.error).toMatch(/gave up after \d+ failed deliveries/);
    const dead = await waitFor(
      () =>
        deadLetters.find(
          (m) =>
            m.json?.data?.replicationId === copy.replicationId &&
            m.json?.type === 'ReplicationRequested',
        ),
      {
        what: 'the request in the dead-letter queue',
      },
    );
    expect(dead.routingKey).toBe('replication.requested.ap-singapore');
    // Not an endless loop: the region's queue and its dead-lettered queue are empty, the target failed.
    expect(await queueDepth(vhost, replicatorQueue('ap-singapore'))).toBe(0);
    expect(await queueDepth(vhost, `${replicatorQueue('ap-singapore')}.dead-lettered`)).toBe(0);
    expect((await snapshot(copy.snapshotId)).state).toBe('FAILED');
    const types = (await storedEvents(copy.replicationId)).map((e) => e.type);
    expect(types).toEqual(['ReplicationRequested', 'ReplicationFailed']);
  });

  it('a poison message at prefetch 1 does not block the next valid request', async () => {
    probe.publishRaw(
      REPLICATION_EXCHANGE,
      'replication.requested.ap-shanghai',
      '{ not json',
      `poison-${id8()}`,
    );
    const copy = await requestCopy('ap-shanghai');
    await waitFor(async () => (await snapshot(copy.snapshotId)).state === 'NORMAL', {
      what: 'copy NORMAL after the poison message',
      timeoutMs: 20_000,
    });
    expect(
      deadLetters.some(
        (m) => m.body === '{ not json' && m.routingKey === 'replication.requested.ap-shanghai',
      ),
    ).toBe(true);
    expect((await replication(copy.replicationId)).state).toBe('COMPLETED');
  });

  it('records one event for the same message id delivered twice', async () => {
    const copy = await requestCopy('ap-hongkong'); // no replicator serves it: only the test reports
    const progressed = envelope('ReplicationProgressed', copy, {
      sequence: 1,
      bytesTotal: 100,
      bytesDone: 40,
      bytesTransferred: 40,
      chunksCopied: 1,
      chunksSkipped: 0,
      percent: 40,
      progressedAt: new Date().toISOString(),
    });
    publish(progressed);
    publish(progressed);
    await waitFor(
      async () =>
        (await storedEvents(copy.replicationId)).some((e) => e.event_id === progressed.eventId),
      { what: 'progress ingested' },
    );
    await progressQueueDrained();
    const events = await storedEvents(copy.replicationId);
    expect(events.filter((e) => e.event_id === progressed.eventId)).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['ReplicationRequested', 'ReplicationProgressed']);
    expect((await replication(copy.replicationId)).percent).toBe(40);
  });

  it('accepts Completed before Started, ignores the late Started, and never lets percent go backwards', async () => {
    const now = () => new Date().toISOString();
    const done = await requestCopy('ap-hongkong');
    publish(
      envelope('ReplicationCompleted', done, {
        sizeBytes: 20,
        digest: 'a'.repeat(64),
        chunkCount: 1,
        bytesTransferred: 20,
        chunksCopied: 1,
        chunksSkipped: 0,
        completedAt: now(),
      }),
    );
    await waitFor(async () => (await replication(done.replicationId)).state === 'COMPLETED', {
      what: 'COMPLETED before any Started',
    });
    publish(
      envelope('ReplicationStarted', done, {
        attempt: 1,
        bytesTotal: 20,
        chunksTotal: 1,
        startedAt: now(),
      }),
    );
    await progressQueueDrained();
    expect((await storedEvents(done.replicationId)).map((e) => e.type)).toEqual([
      'ReplicationRequested',
      'ReplicationCompleted',
    ]);
    expect((await replication(done.replicationId)).state).toBe('COMPLETED');
    expect((await snapshot(done.snapshotId)).state).toBe('NORMAL');

    const moving = await requestCopy('ap-tokyo');
    const progress = (sequence: number, percent: number) =>
      envelope('ReplicationProgressed', moving, {
        sequence,
        bytesTotal: 100,
        bytesDone: percent,
        bytesTransferred: percent,
        chunksCopied: 1,
        chunksSkipped: 0,
        percent,
        progressedAt: now(),
      });
    publish(
      envelope('ReplicationStarted', moving, {
        attempt: 1,
        bytesTotal: 100,
        chunksTotal: 2,
        startedAt: now(),
      }),
    );
    await waitFor(async () => (await replication(moving.replicationId)).state === 'COPYING', {
      what: 'COPYING',
    });
    publish(progress(1, 50));
    await waitFor(async () => (await replication(moving.replicationId)).percent === 50, {
      what: 'percent 50',
    });
    publish(progress(2, 30)); // a newer sequence but a lower percent
    await progressQueueDrained();
    const stored = (await storedEvents(moving.replicationId)).filter(
      (e) => e.type === 'ReplicationProgressed',
    );
    expect(stored.map((e) => e.data.percent)).toEqual([50]);
    expect((await replication(moving.replicationId)).percent).toBe(50);
    expect((await snapshot(moving.snapshotId)).percent).toBe(50);
  });
});
