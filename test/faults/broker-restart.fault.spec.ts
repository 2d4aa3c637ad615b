import { randomBytes } from 'node:crypto';
import { type PrivateBroker, startPrivateBroker, waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

// Stops a broker: a RabbitMQ node of this test's own (own name, ports and data directory),
// never the machine's shared one, which every other test and service relies on.
describe('broker restart (rabbitmqctl stop_app / start_app)', () => {
  let s: ProcessStack;
  let broker: PrivateBroker;
  beforeAll(async () => {
    broker = await startPrivateBroker();
    s = await startProcessStack(
      {
        REPLICATOR_REGIONS: 'ap-shanghai,ap-singapore',
        REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
      },
      { broker: { url: broker.url, vhost: '/', cleanup: async () => undefined } },
    );
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await broker?.stop();
  }, 120_000);

  it(
    'copies in flight and copies requested while the broker is down all complete once it is back',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const images = new Map<string, Buffer>();
      const source = async (bytes: Buffer<ArrayBuffer>, diskId: string) => {
        const id = await normalSnapshot(s.api, keys.alice, { bytes, diskId });
        images.set(id, bytes);
        return id;
      };
      const requested: { replicationId: string; targetId: string; sourceId: string }[] = [];
      const copy = async (sourceId: string, region: string) => {
        const answer = await alice.post(`/v1/snapshots/${sourceId}/copies`, {
          destinationRegions: [region],
        });
        expect({ status: answer.status, code: answer.body.results?.[0]?.code }).toEqual({
          status: 202,
          code: 'Success',
        });
        const result = answer.body.results[0];
        requested.push({
          replicationId: result.replicationId,
          targetId: result.snapshotId,
          sourceId,
        });
        return result.replicationId as string;
      };

      // One copy in flight when the broker goes away (2 MiB at 256 KiB/s: about 8 s).
      const inFlight = await copy(
        await source(randomBytes(2 * 1024 * 1024), 'disk-bbbb0001'),
        'ap-shanghai',
      );
      await waitFor(
        async () => {
          const r = (await alice.get(`/v1/replications/${inFlight}`)).body;
          return r.state === 'COPYING' && r.percent > 0 && r.percent < 40;
        },
        { timeoutMs: 15_000, what: 'a copy in flight' },
      );
      const other = await source(randomBytes(256 * 1024 + 17), 'disk-bbbb0002');

      await broker.stopApp();
      try {
        // The catalog takes requests on PostgreSQL alone: the outbox holds them until the broker is back.
        const late = await source(randomBytes(300 * 1024), 'disk-bbbb0003');
        await copy(late, 'ap-shanghai');
        await copy(late, 'ap-singapore');
        await copy(other, 'ap-singapore');
        const listed = (await alice.get('/v1/snapshots?region=ap-singapore')).body.snapshots;
        expect(listed.filter((x: any) => x.state === 'COPYING_FROM_REMOTE')).toHaveLength(2);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      } finally {
        await broker.startApp();
      }

      for (const { targetId } of requested)
        await waitFor(
          async () => (await alice.get(`/v1/snapshots/${targetId}`)).body.state === 'NORMAL',
          {
            timeoutMs: 60_000,
            what: `target ${targetId} NORMAL`,
          },
        );

      const completed = (
        await s.api.as(keys.operator).get('/v1/events?type=ReplicationCompleted&limit=1000')
      ).body.events;
      for (const { replicationId, targetId, sourceId } of requested) {
        expect(completed.filter((e: any) => e.data.replicationId === replicationId)).toHaveLength(
          1,
        );
        expect((await alice.get(`/v1/replications/${replicationId}`)).body.state).toBe('COMPLETED');
        const data = await alice.get(`/v1/snapshots/${targetId}/data`);
        expect(Buffer.compare(data.body, images.get(sourceId)!)).toBe(0);
      }
      expect(requested).toHaveLength(4);
      // The copy that lost its broker mid-way stopped and ran again from the redelivered request.
      expect(
        (await alice.get(`/v1/replications/${inFlight}`)).body.attempts,
      ).toBeGreaterThanOrEqual(2);
      // The broker came back healthy for both services.
      expect((await fetch(`${s.catalog.url}/health`)).status).toBe(200);
      expect((await fetch(`${s.replicator.url}/health`)).status).toBe(200);
    }),
    150_000,
  );
});
