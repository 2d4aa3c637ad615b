import { Client } from 'pg';
import { waitFor } from '@snapferry/testing';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';

// The read models are a projection: when it lags past the read-your-writes wait (5 s), a write
// must still answer with what it wrote, and the snapshot must not read as missing.
describe('a lagging projection', () => {
  let t: TestCatalog;
  let blocker: Client;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(async () => {
    await blocker?.end().catch(() => undefined);
    await t?.stop();
  });

  it('a create answers 201 with the snapshot, and reads find it, while the views are stuck', async () => {
    const alice = t.api.as(keys.alice);
    // Holding the projection's subscription row stalls the projector (its batches skip a locked row).
    blocker = new Client({ connectionString: t.env['DATABASE_URL'] });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM subscriptions WHERE name = 'read-models' FOR UPDATE`);

    const created = await alice.post('/v1/snapshots', {
      region: 'ap-guangzhou',
      diskId: 'disk-1a9a0001',
      diskUsage: 'DATA_DISK',
      diskSizeGiB: 1,
      name: 'while lagging',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'CREATING', name: 'while lagging' });
    const id = created.body.snapshotId as string;
    const read = await alice.get(`/v1/snapshots/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.snapshotId).toBe(id);
    // Another account still gets 404 for it.
    expect((await t.api.as(keys.bob).get(`/v1/snapshots/${id}`)).status).toBe(404);
    const listed = await alice.get('/v1/snapshots?region=ap-guangzhou');
    expect(listed.body.snapshots.map((s: any) => s.snapshotId)).not.toContain(id);

    await blocker.query('ROLLBACK');
    await waitFor(
      async () =>
        (await alice.get('/v1/snapshots?region=ap-guangzhou')).body.snapshots.some(
          (s: any) => s.snapshotId === id,
        ),
      { what: 'the list to catch up' },
    );
  }, 30_000);
});
