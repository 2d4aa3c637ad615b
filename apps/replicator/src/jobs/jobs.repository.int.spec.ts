import { createTestDatabase, type TestDatabase } from '@snapferry/testing';
import { DataSource } from 'typeorm';
import { JobsRepository, schemaFor } from './jobs.repository';

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

const claimer = { owner: 'replicator-a', leaseMs: 30_000 };

describe('JobsRepository (PostgreSQL)', () => {
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
    const repositories = [1, 2, 3].map(() => new JobsRepository(dataSource, 'ap-singapore'));
    await Promise.all(repositories.map((r) => r.migrate()));
    await repositories[0]!.migrate(); // and again later: nothing pending
    expect(await migrationsOf('ap-singapore')).toEqual([
      { name: 'ReplicatorJobs1760000500000' },
      { name: 'ReplicatorClaims1760001200000' },
    ]);
  });

  it("keeps each region's jobs in its own schema", async () => {
    const shanghai = new JobsRepository(dataSource, 'ap-shanghai');
    const frankfurt = new JobsRepository(dataSource, 'eu-frankfurt');
    await Promise.all([shanghai.migrate(), frankfurt.migrate()]);
    await shanghai.claim(request('repl-regions01'), claimer);
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

    const jobs = new JobsRepository(dataSource, 'ap-seoul');
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
    const jobs = new JobsRepository(dataSource, 'ap-shanghai');
    await jobs.migrate();
    const first = await jobs.claim(request('repl-typed001'), claimer);
    expect(first).toMatchObject({
      outcome: 'claimed',
      job: { state: 'COPYING', attempts: 1, cancelRequested: false, claimedBy: 'replicator-a' },
    });
    expect(await jobs.claim(request('repl-typed001'), claimer)).toMatchObject({
      outcome: 'claimed',
      job: { attempts: 2 },
    });
    expect(await jobs.nextSequence('repl-typed001')).toBe(1);
    expect(await jobs.nextSequence('repl-typed001')).toBe(2);
    await expect(jobs.nextSequence('repl-missing1')).rejects.toThrow('no job repl-missing1');

    await jobs.setState('repl-typed001', 'FAILED', 'disk full');
    const again = await jobs.claim(request('repl-typed001'), claimer);
    expect(again).toMatchObject({
      outcome: 'ended',
      job: { state: 'FAILED', attempts: 2, error: 'disk full' },
    });

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

  it('lets one replicator claim a job at a time: free, expired or already its own', async () => {
    const jobs = new JobsRepository(dataSource, 'ap-chengdu');
    await jobs.migrate();
    const a = { owner: 'replicator-a', leaseMs: 400 };
    const b = { owner: 'replicator-b', leaseMs: 30_000 };
    expect(await jobs.claim(request('repl-claim001'), a)).toMatchObject({ outcome: 'claimed' });
    expect(await jobs.claim(request('repl-claim001'), b)).toEqual({
      outcome: 'held',
      claimedBy: 'replicator-a',
    });
    expect(await jobs.renewClaim('repl-claim001', 'replicator-a', 400)).toEqual({
      held: true,
      cancelRequested: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a's lease runs out
    expect((await jobs.get('repl-claim001'))?.claimedBy).toBeNull();
    expect(await jobs.claim(request('repl-claim001'), b)).toMatchObject({
      outcome: 'claimed',
      takenOverFrom: 'replicator-a',
      job: { attempts: 2, claimedBy: 'replicator-b' },
    });
    // a comes back: its heartbeat learns the claim is gone, and its release leaves b's alone.
    expect(await jobs.renewClaim('repl-claim001', 'replicator-a', 400)).toEqual({
      held: false,
      cancelRequested: false,
    });
    await jobs.releaseClaim('repl-claim001', 'replicator-a');
    expect((await jobs.get('repl-claim001'))?.claimedBy).toBe('replicator-b');
    await jobs.requestCancel('repl-claim001');
    expect(await jobs.renewClaim('repl-claim001', 'replicator-b', 30_000)).toEqual({
      held: true,
      cancelRequested: true,
    });
    await jobs.releaseClaim('repl-claim001', 'replicator-b');
    expect((await jobs.get('repl-claim001'))?.claimedBy).toBeNull();
  });

  it('never grants a region more live claims than its limit, however many ask at once', async () => {
    const jobs = new JobsRepository(dataSource, 'ap-chongqing');
    await jobs.migrate();
    const ids = Array.from({ length: 12 }, (_, i) => `repl-limit${String(i).padStart(3, '0')}`);
    const claims = await Promise.all(
      ids.map((id, i) =>
        jobs.claim(request(id), { owner: `replicator-${i % 3}`, leaseMs: 30_000, limit: 3 }),
      ),
    );
    expect(claims.filter((c) => c.outcome === 'claimed')).toHaveLength(3);
    expect(claims.filter((c) => c.outcome === 'full')).toHaveLength(9);

    // A claim ends (its job reached a terminal state, or it was released): the next one fits.
    const holder = ids[claims.findIndex((c) => c.outcome === 'claimed')]!;
    const waiting = ids[claims.findIndex((c) => c.outcome === 'full')]!;
    const limited = { owner: 'replicator-9', leaseMs: 30_000, limit: 3 };
    expect((await jobs.claim(request(waiting), limited)).outcome).toBe('full');
    await jobs.setState(holder, 'COMPLETED');
    expect((await jobs.get(holder))?.claimedBy).toBeNull();
    expect((await jobs.claim(request(waiting), limited)).outcome).toBe('claimed');
    expect((await jobs.claim(request(holder), limited)).outcome).toBe('ended');
  });

  it('refuses a region id that could not be a schema name', () => {
    expect(() => new JobsRepository(dataSource, 'ap-x; DROP TABLE jobs')).toThrow(
      'not a region id',
    );
  });
});
