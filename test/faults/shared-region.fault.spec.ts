import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageVersions } from '@snapferry/contracts';
import { REPLICATION_EXCHANGE } from '@snapferry/messaging';
import { BrokerProbe, waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  type ProcessStack,
  ServiceProcess,
  startProcessStack,
  withProcessOutput,
} from '../support/process-harness';

// 2 MiB at 256 KiB/s: about 8 s per copy, long enough to deliver duplicates and kill mid-copy.
const image = randomBytes(2 * 1024 * 1024);
const leaseMs = 3_000;

describe('two replicators of one region (SIGKILL the one copying)', () => {
  let s: ProcessStack;
  let other: ServiceProcess;
  let probe: BrokerProbe;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: 'ap-shanghai',
      REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
      REPLICATOR_CLAIM_LEASE_MS: String(leaseMs),
    });
    // A second process of the same region: same database schema, queue and data directory.
    other = await new ServiceProcess('replicator', s.env).start();
    probe = await BrokerProbe.open(s.broker.url);
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(async () => {
    await probe?.close();
    if (other?.running) await other.kill('SIGKILL');
    await s?.stop();
  });

  it(
    'a duplicate delivery waits instead of copying; the killed copier is taken over after its lease and the copy finishes once, byte-identical',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image });
      const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      expect(copy.status).toBe(202);
      const { replicationId, snapshotId: targetId } = copy.body.results[0];
      const replication = async () => (await alice.get(`/v1/replications/${replicationId}`)).body;
      await waitFor(
        async () => {
          const r = await replication();
          return r.state === 'COPYING' && r.percent > 5 && r.percent < 40 && r;
        },
        { timeoutMs: 20_000, what: 'the copy running' },
      );
      const copyStarted = '"msg":"copy started"';
      const [copier, waiter] =
        s.replicator.linesWith(copyStarted).length > 0
          ? [s.replicator, other]
          : [other, s.replicator];
      expect(copier.linesWith(copyStarted)).toHaveLength(1);

      // The request arrives again while it is copied (the relay re-publishes a batch after a
      // failure; a lost channel redelivers): the queue hands some of it to the other process.
      const [requested] = (
        await s.api
          .as(keys.operator)
          .get(`/v1/events?type=ReplicationRequested&streamId=replication-${replicationId}`)
      ).body.events;
      const envelope = {
        eventId: requested.eventId,
        type: 'ReplicationRequested',
        version: messageVersions.ReplicationRequested,
        occurredAt: requested.recordedAt,
        correlationId: requested.metadata.correlationId ?? requested.eventId,
        data: requested.data,
      };
      for (let i = 0; i < 4; i++)
        probe.publishRaw(
          REPLICATION_EXCHANGE,
          'replication.requested.ap-shanghai',
          envelope,
          requested.eventId,
        );
      await new Promise((resolve) => setTimeout(resolve, leaseMs)); // a lease's worth of time
      expect(waiter.linesWith(copyStarted)).toHaveLength(0);
      expect((await replication()).attempts).toBe(1);
      // (It did get the request: it waits for the copier's claim.)
      expect(
        waiter.linesWith('"msg":"the copy runs in another replicator; waiting"').length,
      ).toBeGreaterThan(0);

      // The copier dies without releasing its claim: the other takes over once it expires.
      const before = (await replication()).percent as number;
      expect((await copier.kill('SIGKILL')).signal).toBe('SIGKILL');
      const target = await waitFor(
        async () => {
          const t = (await alice.get(`/v1/snapshots/${targetId}`)).body;
          return t.state === 'NORMAL' && t;
        },
        { timeoutMs: 40_000, what: 'target NORMAL' },
      );
      expect(target).toMatchObject({ copyFromRemote: true, sourceSnapshotId: id, percent: 100 });
      expect(
        waiter.linesWith('"msg":"took over a copy whose replicator stopped renewing its claim"'),
      ).toHaveLength(1);
      expect(waiter.linesWith(copyStarted)).toHaveLength(1);

      const done = await replication();
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 2, bytesDone: image.length });
      expect(before).toBeGreaterThan(0);
      expect(done.chunksSkipped).toBeGreaterThan(0); // resumed from what the copier had stored
      expect(done.bytesTransferred).toBeLessThan(image.length);

      const list = (await alice.get('/v1/snapshots?region=ap-shanghai&limit=100')).body.snapshots;
      expect(
        list.filter((x: any) => x.sourceSnapshotId === id).map((x: any) => x.snapshotId),
      ).toEqual([targetId]);
      expect(await readdir(join(s.dataDir, 'ap-shanghai', 'manifests'))).toEqual([
        `${targetId}.json`,
      ]);
      const completed = (
        await s.api.as(keys.operator).get('/v1/events?type=ReplicationCompleted&limit=100')
      ).body.events;
      expect(completed.filter((e: any) => e.data.replicationId === replicationId)).toHaveLength(1);
      const data = await alice.get(`/v1/snapshots/${targetId}/data`);
      expect(data.status).toBe(200);
      expect(Buffer.compare(data.body, image)).toBe(0);
    }),
    90_000,
  );
});
