import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { defaultRegionCatalog } from '@snapferry/domain';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '@snapferry/testing';
import { sha256Hex } from './chunking';
import { RegionStores } from './region-stores';

/**
 * The chunk index's connections of a bucket-backed region (no bucket is called here: the
 * dedup question is answered from the index alone).
 */
describe("RegionStores: a bucket region's chunk index connections", () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('sf_stores');
    dir = await mkdtemp(join(tmpdir(), 'snapferry-stores-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const stores = () =>
    new RegionStores({
      dataDir: dir,
      indexDatabaseUrl: db.url,
      regions: {
        ...defaultRegionCatalog,
        regions: defaultRegionCatalog.regions.map((r) =>
          r.id === 'ap-tokyo' || r.id === 'ap-seoul'
            ? {
                ...r,
                objectStore: {
                  endpoint: 'http://127.0.0.1:9',
                  bucket: 'unused',
                  prefix: '',
                  region: 'us-east-1',
                  forcePathStyle: true,
                },
              }
            : r,
        ),
      },
    });

  /** Ends every server connection to the test database, as a database restart would. */
  async function terminateConnections(): Promise<number> {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [new URL(db.url).pathname.slice(1)],
      );
      return Number(rows[0]!.n);
    } finally {
      await admin.end();
    }
  }

  it('an idle connection the server ends does not end the process; the next call reconnects', async () => {
    const regionStores = stores();
    try {
      const tokyo = regionStores.get('ap-tokyo');
      const digest = sha256Hex(randomBytes(16));
      expect(await tokyo.missingChunks([digest], 'alice')).toEqual([digest]);
      expect(await terminateConnections()).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the idle clients hear of it
      expect(await tokyo.missingChunks([digest], 'alice')).toEqual([digest]);
    } finally {
      await regionStores.close();
    }
  });

  it('a call after close() is refused instead of opening connections nothing would end', async () => {
    const regionStores = stores();
    const tokyo = regionStores.get('ap-tokyo');
    const digest = sha256Hex(randomBytes(16));
    await tokyo.missingChunks([digest], 'alice');
    await regionStores.close();
    await expect(tokyo.missingChunks([digest], 'alice')).rejects.toThrow(/after calling end/);
    // A store first asked for after close (a late sweep) gets no pool of its own.
    expect(() => regionStores.get('ap-seoul')).toThrow(/the region stores are closed/);
  });
});
