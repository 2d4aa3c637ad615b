import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The schema a migration runs in: the `schema` of its DataSource (one per region, or the store
 * service's shared one; see migrateSchema), so one set of migration classes serves every region.
 */
function schemaOf(runner: QueryRunner): string {
  const options = runner.connection.options;
  if (options.type !== 'postgres' || !options.schema)
    throw new Error('the replicator migrations run in a schema of PostgreSQL');
  return options.schema;
}

/**
 * A region's jobs (with the progress sequence, so numbers keep rising across restarts) and the
 * inbox of processed message ids. IF NOT EXISTS: a schema the earlier hand-rolled migrations made
 * (their version table `schema_version`) holds these tables already and is adopted as it is.
 */
export class ReplicatorJobs1760000500000 implements MigrationInterface {
  name = 'ReplicatorJobs1760000500000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`
      CREATE TABLE IF NOT EXISTS ${s}.jobs (
        replication_id text PRIMARY KEY,
        request jsonb,
        state text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        progress_sequence integer NOT NULL DEFAULT 0,
        cancel_requested boolean NOT NULL DEFAULT false,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE IF NOT EXISTS ${s}.inbox (
        message_id text PRIMARY KEY,
        type text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`DROP TABLE IF EXISTS ${s}.schema_version`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP TABLE ${s}.inbox, ${s}.jobs`);
  }
}

/**
 * A job's claim: the replicator process running its copy (`claimed_by`) until `claim_expires_at`,
 * which the copy's heartbeat keeps pushing forward. Several replicators of one region share the
 * work through it: one copy per job, at most REPLICATOR_MAX_CONCURRENT_COPIES live claims per
 * region, and a killed process's job is taken over once its claim expires. The partial index
 * holds only claimed jobs, so counting the live ones stays cheap however many jobs have ended.
 */
export class ReplicatorClaims1760001200000 implements MigrationInterface {
  name = 'ReplicatorClaims1760001200000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`
      ALTER TABLE ${s}.jobs
        ADD COLUMN IF NOT EXISTS claimed_by text,
        ADD COLUMN IF NOT EXISTS claim_expires_at timestamptz`);
    await runner.query(`
      CREATE INDEX IF NOT EXISTS jobs_claims ON ${s}.jobs (claim_expires_at)
        WHERE claimed_by IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP INDEX ${s}.jobs_claims`);
    await runner.query(
      `ALTER TABLE ${s}.jobs DROP COLUMN claimed_by, DROP COLUMN claim_expires_at`,
    );
  }
}

export const replicatorMigrations = [ReplicatorJobs1760000500000, ReplicatorClaims1760001200000];

/**
 * The store service's seen signatures, in one schema shared by every replicator of the
 * database (not per region: the check comes before the route, and replicators of a region
 * must see each other's). The signature is the key; a row is kept until its signed time is
 * 5 minutes past (`expires_at`), then purged. No index on `expires_at`: the table holds a
 * few minutes of calls, and a once-a-minute scan costs less than a second index on every
 * store call.
 */
export class StoreSignatures1760001300000 implements MigrationInterface {
  name = 'StoreSignatures1760001300000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`
      CREATE TABLE ${s}.signatures (
        signature bytea PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE ${schemaOf(runner)}.signatures`);
  }
}

export const storeMigrations = [StoreSignatures1760001300000];

/** Creates or migrates one region's schema (see migrateSchema). */
export const migrateRegionSchema = (dataSource: DataSource, schema: string): Promise<void> =>
  migrateSchema(dataSource, schema, replicatorMigrations);

/**
 * Creates or migrates one schema with TypeORM migrations (the catalog's mechanism), recorded
 * in `<schema>.migrations`. A DataSource of its own carries the `schema`; a session advisory
 * lock per schema lets several replicators start together: the first migrates, the others
 * wait and find nothing pending. Closing the DataSource ends the lock's session, so the lock
 * never outlives this call.
 */
export async function migrateSchema(
  dataSource: DataSource,
  schema: string,
  migrations: (new () => MigrationInterface)[],
): Promise<void> {
  // A restart: one query, no DataSource, no lock.
  if (await upToDate(dataSource, schema, migrations)) return;
  const { options } = dataSource;
  if (options.type !== 'postgres') throw new Error('the replicator keeps its jobs in PostgreSQL');
  const migrator = new DataSource({
    ...options,
    schema,
    migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    entities: [],
    poolSize: 2, // the lock's session and the migrations' transaction
    applicationName: 'snapferry-replicator-migrations',
  });
  await migrator.initialize();
  try {
    const lock = migrator.createQueryRunner();
    try {
      await lock.query(`SELECT pg_advisory_lock(hashtext($1))`, [`snapferry-replicator:${schema}`]);
      await lock.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await migrator.runMigrations({ transaction: 'all' });
      await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [
        `snapferry-replicator:${schema}`,
      ]);
    } finally {
      await lock.release();
    }
  } finally {
    await migrator.destroy();
  }
}

/** Every migration is recorded in the schema already (migrations are never removed). */
async function upToDate(
  dataSource: DataSource,
  schema: string,
  migrations: (new () => MigrationInterface)[],
): Promise<boolean> {
  const [table] = await dataSource.query<{ exists: boolean }[]>(
    `SELECT to_regclass($1) IS NOT NULL AS exists`,
    [`${schema}.migrations`],
  );
  if (!table?.exists) return false;
  const done = await dataSource.query<{ name: string }[]>(`SELECT name FROM ${schema}.migrations`);
  const names = new Set(done.map((m) => m.name));
  return migrations.every((Migration) => names.has(new Migration().name!));
}
