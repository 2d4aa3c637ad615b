import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ReplicationPolicies1760002000000 } from '../policies/policy-migrations';

/** The catalog's own tables beside the event store: read models and the rows that keep requests consistent. */
export class CatalogSchema1760000100000 implements MigrationInterface {
  name = 'CatalogSchema1760000100000';

  async up(runner: QueryRunner): Promise<void> {
    // Read models (projected asynchronously from the event log; rebuildable).
    await runner.query(`
      CREATE TABLE snapshot_view (
        snapshot_id text PRIMARY KEY,
        account_id text NOT NULL,
        region text NOT NULL,
        state text NOT NULL,
        disk_id text NOT NULL,
        created_at timestamptz NOT NULL,
        doc jsonb NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX snapshot_view_region_list ON snapshot_view (account_id, region, created_at DESC, snapshot_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE replication_view (
        replication_id text PRIMARY KEY,
        account_id text NOT NULL,
        source_snapshot_id text NOT NULL,
        requested_at timestamptz NOT NULL,
        doc jsonb NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX replication_view_by_source ON replication_view (account_id, source_snapshot_id, requested_at DESC)`,
    );
    // Inline (same transaction as the append): quota counts must be exact, not eventually so.
    await runner.query(`
      CREATE TABLE region_usage (
        account_id text NOT NULL,
        region text NOT NULL,
        snapshots integer NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, region)
      )`);
    // clientToken idempotency: the first answer, kept per account.
    await runner.query(`
      CREATE TABLE client_tokens (
        account_id text NOT NULL,
        client_token text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, client_token)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE client_tokens, region_usage, replication_view, snapshot_view`);
  }
}

/** Upload leases: one upload per snapshot at a time, held by a row with an expiry, not a connection. */
export class UploadLeases1760000400000 implements MigrationInterface {
  name = 'UploadLeases1760000400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE upload_leases (
        snapshot_id text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE upload_leases`);
  }
}

/**
 * Incremental uploads: the manifest a client declared for a snapshot still CREATING (its chunks
 * in order, as jsonb), until it commits. A new manifest for the same snapshot replaces the row.
 */
export class UploadPlans1760001100000 implements MigrationInterface {
  name = 'UploadPlans1760001100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE upload_plans (
        snapshot_id text PRIMARY KEY,
        chunk_size integer NOT NULL,
        image_digest text NOT NULL,
        root text NOT NULL,
        chunks jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE upload_plans`);
  }
}

/**
 * The data reaper's durable work, done outside any transaction: the snapshots whose data a
 * region's store must still drop, and each region's garbage-collection schedule and outcome.
 */
export class DataReaperWork1760001270000 implements MigrationInterface {
  name = 'DataReaperWork1760001270000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE data_reaper_work (
        region text NOT NULL,
        snapshot_id text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (region, snapshot_id)
      )`);
    await runner.query(`
      CREATE TABLE region_gc (
        region text PRIMARY KEY,
        next_run_at timestamptz NOT NULL,
        follow_up boolean NOT NULL DEFAULT false,
        deletions bigint NOT NULL DEFAULT 0,
        last_run_at timestamptz,
        last_outcome text,
        last_stats jsonb,
        last_error text,
        failures integer NOT NULL DEFAULT 0,
        retry_at timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE region_gc, data_reaper_work`);
  }
}

/**
 * The cloud API's used TC3 signatures, shared by every catalog of the database: the action of
 * a signature's first use and how often it came, kept until the signature expires
 * (`expires_at`, its X-TC-Timestamp plus five minutes), then purged. No index on `expires_at`:
 * the table holds a few minutes of calls, and a once-a-minute scan costs less than a second
 * index on every call.
 */
export class CloudSignatures1760001300000 implements MigrationInterface {
  name = 'CloudSignatures1760001300000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE cloud_signatures (
        signature bytea PRIMARY KEY,
        action text NOT NULL,
        uses integer NOT NULL DEFAULT 1,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE cloud_signatures`);
  }
}

/**
 * Tags in the status view: a key → value object per snapshot beside the document, with a GIN
 * index so that `tag:<key>=<value>` filters are a containment (`@>`) lookup and the cloud API's
 * `tag-key` filter a key lookup (`?|`; the default jsonb_ops class serves both).
 */
export class SnapshotViewTags1760001400000 implements MigrationInterface {
  name = 'SnapshotViewTags1760001400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE snapshot_view ADD COLUMN tags jsonb NOT NULL DEFAULT '{}'`);
    await runner.query(`
      UPDATE snapshot_view SET tags = (
        SELECT coalesce(jsonb_object_agg(t->>'key', t->>'value'), '{}')
        FROM jsonb_array_elements(doc->'tags') AS t)
      WHERE jsonb_typeof(doc->'tags') = 'array'`);
    await runner.query(`CREATE INDEX snapshot_view_tags ON snapshot_view USING gin (tags)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX snapshot_view_tags`);
    await runner.query(`ALTER TABLE snapshot_view DROP COLUMN tags`);
  }
}

/**
 * The deadline timer's rows: one per copy requested with a deadline, written in the request's
 * transaction and dropped when the copy ends or the timer has decided it (replication-deadlines.repository.ts).
 */
export class ReplicationDeadlines1760001410000 implements MigrationInterface {
  name = 'ReplicationDeadlines1760001410000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE replication_deadlines (
        replication_id text PRIMARY KEY,
        deadline timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX replication_deadlines_due ON replication_deadlines (deadline, replication_id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE replication_deadlines`);
  }
}

export const catalogMigrations = [
  CatalogSchema1760000100000,
  UploadLeases1760000400000,
  UploadPlans1760001100000,
  DataReaperWork1760001270000,
  CloudSignatures1760001300000,
  SnapshotViewTags1760001400000,
  ReplicationDeadlines1760001410000,
  ReplicationPolicies1760002000000,
];
