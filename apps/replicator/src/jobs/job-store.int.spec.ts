import { createTestDatabase, type TestDatabase } from '@snapferry/testing';
import { DataSource } from 'typeorm';
import { JobStore, schemaFor } from './job-store';

const request = (replicationId: string) => ({
  replicationId,
  sourceSnapshotId: 'snap-src00001',
  targetSnapshotId: 'snap-tgt00001',
  targetRegion: 'ap-shanghai',
  accountId: 'acct-1',
  sourceRegion: 'ap-guangzhou',
  targetSnapshotName: 'copy',
  diskId: 'disk-data0001',
  diskSizeGiB: 1,
  sizeBytes: 4096,
  sourceDigest: 'a'.repeat(64),
  encrypted: false,
  requestedAt: '2025-01-01T00:00:00.000Z',
});

describe('JobStore (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('sf_jobs');
    dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 4 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const migrationsOf = async (region: string) =>
    dataSource.query<{ name: string }[]>(`SELECT name FROM ${schemaFor(region)}.migrations`);

  it('migrates a region schema once when several replicators start together', async () => {
    const stores = [1, 2, 3].map(() => new JobStore(dataSource, 'ap-singapore'));
    await Promise.all(stores.map((s) => s.migrate()));
    await stores[0]!.migrate(); // and again later: nothing pending
    expect(await migrationsOf('ap-singapore')).toEqual([{ name: 'ReplicatorJobs1760000500000' }]);
  });

  it("keeps each region's jobs in its own schema", async () => {
    const shanghai = new JobStore(dataSource, 'ap-shanghai');
    const frankfurt = new JobStore(dataSource, 'eu-frankfurt');
    await Promise.all([shanghai.migrate(), frankfurt.migrate()]);
    await shanghai.beginAttempt(request('repl-regions01'));
    expect(await shanghai.get('repl-regions01')).toBeDefined();
    expect(await frankfurt.get('repl-regions01')).toBeUndefined();
  });

  it('adopts a schema made by the earlier schema_version migrations, keeping its jobs', async () => {
    const s = schemaFor('ap-seoul');
    await dataSource.query(`CREATE SCHEMA ${s}`);
    await dataSource.query(`CREATE TABLE ${s}.schema_version (version integer NOT NULL)`);
    await dataSource.query(`INSERT INTO ${s}.schema_version VALUES (1)`);
    await dataSource.query(`
      CREATE TABLE ${s}.jobs (
        replication_id text PRIMARY KEY, request jsonb, state text NOT NULL,
        attempts integer NOT NULL DEFAULT 0, progress_sequence integer NOT NULL DEFAULT 0,
        cancel_requested boolean NOT NULL DEFAULT false, error text,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await dataSource.query(`
      CREATE TABLE ${s}.inbox (message_id text PRIMARY KEY, type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now())`);
    await dataSource.query(
      `INSERT INTO ${s}.jobs (replication_id, state, progress_sequence) VALUES ('repl-old00001', 'COPYING', 7)`,
    );

    const jobs = new JobStore(dataSource, 'ap-seoul');
    await jobs.migrate();
    expect(await jobs.get('repl-old00001')).toMatchObject({
      state: 'COPYING',
      progressSequence: 7,
    });
    expect(await jobs.nextSequence('repl-old00001')).toBe(8);
    const [versionTable] = await dataSource.query<{ t: string | null }[]>(
      `SELECT to_regclass('${s}.schema_version')::text AS t`,
    );
    expect(versionTable?.t).toBeNull();
  });

  it('answers typed rows: attempts, sequence numbers, terminal states, cancel flags, inbox', async () => {
    const jobs = new JobStore(dataSource, 'ap-shanghai');
    await jobs.migrate();
    const first = await jobs.beginAttempt(request('repl-typed001'));
    expect(first).toMatchObject({ state: 'COPYING', attempts: 1, cancelRequested: false });
    expect((await jobs.beginAttempt(request('repl-typed001'))).attempts).toBe(2);
    expect(await jobs.nextSequence('repl-typed001')).toBe(1);
    expect(await jobs.nextSequence('repl-typed001')).toBe(2);
    await expect(jobs.nextSequence('repl-missing1')).rejects.toThrow('no job repl-missing1');

    await jobs.setState('repl-typed001', 'FAILED', 'disk full');
    const again = await jobs.beginAttempt(request('repl-typed001'));
    expect(again).toMatchObject({ state: 'FAILED', attempts: 2, error: 'disk full' });

    expect(await jobs.cancelRequested('repl-typed002')).toBe(false);
    expect(await jobs.requestCancel('repl-typed002')).toMatchObject({
      state: 'QUEUED',
      cancelRequested: true,
      request: null,
    });
    expect(await jobs.cancelRequested('repl-typed002')).toBe(true);

    expect(await jobs.seen('msg-1')).toBe(false);
    await jobs.remember('msg-1', 'ReplicationRequested');
    await jobs.remember('msg-1', 'ReplicationRequested');
    expect(await jobs.seen('msg-1')).toBe(true);
  });

  it('refuses a region id that could not be a schema name', () => {
    expect(() => new JobStore(dataSource, 'ap-x; DROP TABLE jobs')).toThrow('not a region id');
  });
});
