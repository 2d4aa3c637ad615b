import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { waitFor } from '@snapferry/testing';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';

const chunk = 64 * 1024; // SNAPFERRY_CHUNK_SIZE in the harness

async function chunkCount(dataDir: string, region: string): Promise<number> {
  const root = join(dataDir, region, 'chunks');
  let n = 0;
  for (const dir of await readdir(root).catch(() => [] as string[]))
    n += (await readdir(join(root, dir))).length;
  return n;
}

/** An upload whose client goes away mid-body: its chunks are written, no manifest ever is. */
async function failedUpload(t: TestCatalog, region: string): Promise<void> {
  const created = await t.api.as(keys.alice).post('/v1/snapshots', {
    region,
    diskId: 'disk-1eaf0001',
    diskUsage: 'DATA_DISK',
    diskSizeGiB: 1,
  });
  const req = httpRequest(`${t.url}/v1/snapshots/${created.body.snapshotId}/data`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${keys.alice}`,
      'content-type': 'application/octet-stream',
      'content-length': 8 * chunk,
    },
  });
  req.on('error', () => undefined);
  req.write(randomBytes(4 * chunk + 100));
  await waitFor(async () => (await chunkCount(t.dataDir, region)) >= 4, {
    what: 'the upload to store its first chunks',
  });
  req.destroy();
}

/** The region's row of the durable GC schedule. */
async function scheduleOf(databaseUrl: string, region: string) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      deletions: string;
      follow_up: boolean;
      last_run_at: Date | null;
      next_run_at: Date;
    }>(`SELECT deletions, follow_up, last_run_at, next_run_at FROM region_gc WHERE region = $1`, [
      region,
    ]);
    return rows[0];
  } finally {
    await client.end();
  }
}

describe('garbage collection: periodic, from a schedule kept in the database', () => {
  it('collects the chunks a failed upload left in a region where nothing is ever deleted', async () => {
    const t = await startTestCatalog({
      SNAPFERRY_GC_GRACE_MS: '1000',
      SNAPFERRY_GC_PERIOD_MS: '2000',
    });
    try {
      await failedUpload(t, 'ap-chengdu');
      expect(await chunkCount(t.dataDir, 'ap-chengdu')).toBeGreaterThanOrEqual(4);
      await waitFor(async () => (await chunkCount(t.dataDir, 'ap-chengdu')) === 0, {
        timeoutMs: 20_000,
        what: "the failed upload's chunks to be collected",
      });
      const events = await t.api.as(keys.operator).get('/v1/events?type=SnapshotDeleted');
      expect(events.body.events).toEqual([]);
    } finally {
      await t.stop();
    }
  }, 60_000);

  it('a sweep that was due when the catalog stopped runs after it restarts', async () => {
    const graceMs = 6_000;
    const t = await startTestCatalog({
      SNAPFERRY_GC_GRACE_MS: String(graceMs),
      SNAPFERRY_GC_INTERVAL_MS: '0',
      SNAPFERRY_GC_PERIOD_MS: String(60 * 60_000),
    });
    try {
      const id = await normalSnapshot(t.api, keys.alice, {
        region: 'ap-chongqing',
        bytes: randomBytes(4 * chunk),
      });
      const uploadedAt = Date.now();
      expect((await t.api.as(keys.alice).delete(`/v1/snapshots/${id}`)).status).toBe(204);
      // The sweep after the deletion keeps the chunks (younger than the grace) and schedules
      // the follow-up for when they are not; the catalog stops before it.
      await waitFor(
        async () => {
          const row = await scheduleOf(t.env['DATABASE_URL']!, 'ap-chongqing');
          return row?.deletions === '1' && !row.follow_up && row;
        },
        { what: 'the sweep after the deletion' },
      );
      await t.restart(async () => {
        expect(await chunkCount(t.dataDir, 'ap-chongqing')).toBe(4);
        await sleep(Math.max(0, uploadedAt + graceMs + 1_000 - Date.now()));
        expect(await chunkCount(t.dataDir, 'ap-chongqing')).toBe(4);
      });
      await waitFor(async () => (await chunkCount(t.dataDir, 'ap-chongqing')) === 0, {
        timeoutMs: 20_000,
        what: 'the follow-up sweep after the restart',
      });
    } finally {
      await t.stop();
    }
  }, 60_000);
});
