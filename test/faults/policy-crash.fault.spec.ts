import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

const destinations = ['ap-shanghai', 'ap-singapore'];

describe('catalog crash (SIGKILL) under a replication policy', () => {
  let s: ProcessStack;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: destinations.join(','),
      SNAPFERRY_POLICY_RETENTION_INTERVAL_MS: '500',
    });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(() => s?.stop());

  const requestedFor = async (sourceSnapshotId: string) => {
    const events = (
      await s.api.as(keys.operator).get('/v1/events?type=ReplicationRequested&limit=1000')
    ).body.events as { data: { sourceSnapshotId: string; targetRegion: string } }[];
    return events
      .filter((e) => e.data.sourceSnapshotId === sourceSnapshotId)
      .map((e) => e.data.targetRegion)
      .sort();
  };

  it(
    'killed between a snapshot becoming NORMAL and its copies being requested: after the restart they start, once each',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const created = await alice.post('/v1/policies', {
        name: 'crash DR',
        sourceRegion: 'ap-guangzhou',
        selector: { diskIds: ['disk-pcra0001'] },
        destinations: destinations.map((region) => ({ region, retain: { count: 3 } })),
        rpoMinutes: 60,
      });
      expect(created.status).toBe(201);

      // Hold the policy engine's subscription row, as another catalog mid-batch would: the
      // engine skips its batches and the periodic pass waits, so the snapshot below becomes
      // NORMAL and nothing has requested its copies when the catalog is killed.
      const holder = new Client({ connectionString: s.db.url });
      await holder.connect();
      let id = '';
      try {
        await holder.query('BEGIN');
        const held = await holder.query(
          `SELECT 1 FROM subscriptions WHERE name = 'policy-engine' FOR UPDATE`,
        );
        expect(held.rowCount).toBe(1);
        id = await normalSnapshot(s.api, keys.alice, {
          diskId: 'disk-pcra0001',
          bytes: randomBytes(200_000),
        });
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // a pass would have run by now
        expect(await requestedFor(id)).toEqual([]);
        expect((await s.catalog.kill('SIGKILL')).signal).toBe('SIGKILL');
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }

      await s.catalog.start();
      for (const region of destinations)
        await waitFor(
          async () =>
            (
              await alice.get(
                `/v1/snapshots?region=${region}&diskId=disk-pcra0001&state=NORMAL&limit=100`,
              )
            ).body.snapshots.some((t: { sourceSnapshotId: string }) => t.sourceSnapshotId === id),
          { timeoutMs: 30_000, what: `the policy's copy in ${region} after the restart` },
        );
      // A few more engine batches and passes run: still one request per destination.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await requestedFor(id)).toEqual(destinations);
      for (const region of destinations) {
        const copies = (
          await alice.get(`/v1/snapshots?region=${region}&diskId=disk-pcra0001&limit=100`)
        ).body.snapshots.filter((t: { sourceSnapshotId: string }) => t.sourceSnapshotId === id);
        expect(copies).toHaveLength(1);
      }
    }),
    120_000,
  );
});
