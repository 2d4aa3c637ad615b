import { request as httpRequest, type ClientRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';

const UPLOADS = Number(process.env['SNAPFERRY_TEST_UPLOADS'] ?? 200);

/** Starts a PUT of `bytes` and sends only its first half; `finish()` sends the rest. */
function halfUpload(base: string, id: string, bytes: Buffer) {
  const { hostname, port } = new URL(base);
  let request!: ClientRequest;
  const answered = new Promise<number>((resolve, reject) => {
    request = httpRequest(
      {
        host: hostname,
        port,
        method: 'PUT',
        path: `/v1/snapshots/${id}/data`,
        headers: {
          authorization: `Bearer ${keys.alice}`,
          'content-type': 'application/octet-stream',
          'content-length': bytes.length,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
  request.write(bytes.subarray(0, bytes.length / 2));
  return { answered, finish: () => request.end(bytes.subarray(bytes.length / 2)) };
}

describe(`${UPLOADS} uploads at once`, () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(async () => t?.stop());

  it('hold no database connection each, and other requests still work meanwhile', async () => {
    const alice = t.api.as(keys.alice);
    const ids: string[] = [];
    for (let i = 0; i < UPLOADS; i++) {
      const created = await alice.post('/v1/snapshots', {
        region: 'ap-guangzhou',
        diskId: 'disk-c0cc0001',
        diskUsage: 'DATA_DISK',
        diskSizeGiB: 1,
      });
      expect(created.status).toBe(201);
      ids.push(created.body.snapshotId as string);
    }
    const images = ids.map(() => randomBytes(8 * 1024));
    const uploads = ids.map((id, i) => halfUpload(t.url, id, images[i]!));

    // Every upload has started (each holds its lease) before anything is measured.
    const admin = new Client({ connectionString: t.env['DATABASE_URL'] });
    await admin.connect();
    try {
      const leases = async () =>
        Number((await admin.query(`SELECT count(*)::int AS n FROM upload_leases`)).rows[0].n);
      const deadline = Date.now() + 30_000;
      while ((await leases()) < UPLOADS && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await leases()).toBe(UPLOADS);
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`,
      );
      // The catalog's pool (10), its listener, the relay's leadership, this client: far below 100.
      expect(rows[0].n).toBeLessThanOrEqual(20);

      // A second upload of a snapshot in flight is refused; other calls are served.
      const second = await alice.put(`/v1/snapshots/${ids[0]}/data`, images[0]!);
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('UnsupportedOperation.UploadInProgress');
      expect((await alice.get('/v1/snapshots?region=ap-guangzhou&limit=5')).status).toBe(200);
      expect((await alice.get('/v1/regions')).status).toBe(200);
    } finally {
      await admin.end();
    }

    for (const upload of uploads) upload.finish();
    const statuses = await Promise.all(uploads.map((u) => u.answered));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const back = await alice.get(`/v1/snapshots/${ids[UPLOADS - 1]}/data`);
    expect(Buffer.compare(back.body, images[UPLOADS - 1]!)).toBe(0);
  }, 120_000);
});
