import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { adminDatabaseUrl, waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';

/** Kills every server connection of this test's database (and only those). */
async function terminateConnections(databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await admin.end();
  }
}

describe('database connections lost mid-copy (pg_terminate_backend)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({
      catalogEnv: { LOG_LEVEL: 'fatal' }, // the lost connections are logged as errors, on purpose
      replicatorEnv: { REPLICATOR_MAX_BYTES_PER_SEC: String(1024 * 1024) },
    });
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);

  it('every accepted copy still completes once, and the services answer again', async () => {
    const images = [randomBytes(1024 * 1024), randomBytes(1024 * 1024)];
    const ids: string[] = [];
    for (const bytes of images) ids.push(await normalSnapshot(t.api, keys.alice, { bytes }));
    const copies: { snapshotId: string; replicationId: string }[] = [];
    for (const id of ids) {
      const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai', 'ap-singapore'],
      });
      expect(copy.status).toBe(202);
      copies.push(...copy.body.results);
    }
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${copies[0]!.snapshotId}`)).body.percent > 0,
      {
        what: 'copies under way',
        timeoutMs: 15_000,
      },
    );

    // The catalog and the replicator share this database in the harness: both lose every connection, twice.
    expect(await terminateConnections(t.env.DATABASE_URL!)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await terminateConnections(t.env.DATABASE_URL!);

    for (const [i, copy] of copies.entries()) {
      await waitFor(
        async () => (await alice().get(`/v1/snapshots/${copy.snapshotId}`)).body.state === 'NORMAL',
        {
          what: `copy ${copy.snapshotId} NORMAL`,
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
      const data = await alice().get(`/v1/snapshots/${copy.snapshotId}/data`);
      expect(Buffer.compare(data.body, images[Math.floor(i / 2)]!)).toBe(0);
    }
    const completed = await t.api
      .as(keys.operator)
      .get('/v1/events?type=ReplicationCompleted&limit=1000');
    expect(completed.body.events.map((e: any) => e.data.replicationId).sort()).toEqual(
      copies.map((c) => c.replicationId).sort(),
    );
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});
