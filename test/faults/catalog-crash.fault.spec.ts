import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

describe('catalog crash (SIGKILL)', () => {
  let s: ProcessStack;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: 'ap-shanghai,ap-singapore',
      REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
    });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(() => s?.stop());

  const eventsOf = async (type: string, replicationId: string) =>
    (await s.api.as(keys.operator).get(`/v1/events?type=${type}&limit=1000`)).body.events.filter(
      (e: any) => e.data.replicationId === replicationId,
    );

  it(
    'killed mid-copy: the copy ends while it is down, and its progress lands after the restart, once',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const image = randomBytes(2 * 1024 * 1024);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image, diskId: 'disk-cccc0001' });
      const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      expect(copy.status).toBe(202);
      const { replicationId, snapshotId: targetId } = copy.body.results[0];
      await waitFor(
        async () => {
          const r = (await alice.get(`/v1/replications/${replicationId}`)).body;
          return r.state === 'COPYING' && r.percent > 0 && r.percent < 50;
        },
        { timeoutMs: 15_000, what: 'copy in flight' },
      );

      expect((await s.catalog.kill('SIGKILL')).signal).toBe('SIGKILL');
      // The replicator carries on; its events wait in the catalog's durable queue.
      await waitFor(
        () =>
          s.replicator.linesWith(replicationId).some((l) => l.includes('"msg":"copy completed"')),
        {
          timeoutMs: 20_000,
          what: 'the replicator to finish the copy',
        },
      );
      await s.catalog.start();

      const target = await waitFor(
        async () => {
          const t = (await alice.get(`/v1/snapshots/${targetId}`)).body;
          return t.state === 'NORMAL' && t;
        },
        { timeoutMs: 20_000, what: 'target NORMAL after the restart' },
      );
      expect(target).toMatchObject({ copyFromRemote: true, sourceSnapshotId: id, percent: 100 });
      expect((await alice.get(`/v1/replications/${replicationId}`)).body).toMatchObject({
        state: 'COMPLETED',
        attempts: 1,
      });
      expect(await eventsOf('ReplicationCompleted', replicationId)).toHaveLength(1);
      expect(await eventsOf('ReplicationRequested', replicationId)).toHaveLength(1);
      // The source is no longer copying: the source-side view caught up too.
      expect((await alice.get(`/v1/snapshots/${id}`)).body.copyingToRegions).toEqual([]);
      expect(Buffer.compare((await alice.get(`/v1/snapshots/${targetId}/data`)).body, image)).toBe(
        0,
      );
    }),
    90_000,
  );

  it(
    'killed right after accepting copies: the relay publishes them after the restart, each makes one target',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const image = randomBytes(128 * 1024 + 5);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image, diskId: 'disk-cccc0002' });
      const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai', 'ap-singapore'],
      });
      expect(copy.body.results.map((r: any) => r.code)).toEqual(['Success', 'Success']);
      await s.catalog.kill('SIGKILL'); // at once: the outbox may or may not have published them
      await s.catalog.start();

      for (const { replicationId, snapshotId: targetId, destinationRegion } of copy.body.results) {
        await waitFor(
          async () => (await alice.get(`/v1/snapshots/${targetId}`)).body.state === 'NORMAL',
          {
            timeoutMs: 30_000,
            what: `target ${targetId} NORMAL`,
          },
        );
        expect(await eventsOf('ReplicationCompleted', replicationId)).toHaveLength(1);
        const list = (await alice.get(`/v1/snapshots?region=${destinationRegion}&limit=100`)).body
          .snapshots;
        expect(
          list.filter((x: any) => x.sourceSnapshotId === id).map((x: any) => x.snapshotId),
        ).toEqual([targetId]);
        const manifests = await readdir(join(s.dataDir, destinationRegion, 'manifests'));
        expect(manifests.filter((m) => m.startsWith('snap-'))).toContain(`${targetId}.json`);
        expect(
          Buffer.compare((await alice.get(`/v1/snapshots/${targetId}/data`)).body, image),
        ).toBe(0);
      }
    }),
    90_000,
  );
});
