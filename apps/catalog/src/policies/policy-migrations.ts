import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replication policies. `policy_view` is the API's read model (projected, rebuildable). The
 * policy engine's own tables change only in the engine's subscription batches (with its
 * checkpoint: exactly once) and in its passes and timer, each under the rows it locks:
 * - `policy_rules`: the policies as the engine has reached them in the log;
 * - `policy_targets`: per policy, selected disk and destination, the copy plan (last request,
 *   copy in flight, one waiting) and the recovery point (newest NORMAL copy, when the objective
 *   breaches, whether it is breached);
 * - `recovery_points`: every copy in a region (by a policy or by hand) while it exists, the
 *   source time it recovers to, its state and the policy that made it.
 */
export class ReplicationPolicies1760002000000 implements MigrationInterface {
  name = 'ReplicationPolicies1760002000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE policy_view (
        policy_id text PRIMARY KEY,
        account_id text NOT NULL,
        created_at timestamptz NOT NULL,
        doc jsonb NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX policy_view_by_account ON policy_view (account_id, created_at DESC, policy_id DESC)`,
    );
    await runner.query(`
      CREATE TABLE policy_rules (
        policy_id text PRIMARY KEY,
        account_id text NOT NULL,
        source_region text NOT NULL,
        definition jsonb NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX policy_rules_by_source ON policy_rules (account_id, source_region)`,
    );
    await runner.query(`
      CREATE TABLE policy_targets (
        policy_id text NOT NULL,
        disk_id text NOT NULL,
        region text NOT NULL,
        account_id text NOT NULL,
        source_region text NOT NULL,
        plan jsonb NOT NULL DEFAULT '{}',
        in_flight_replication_id text,
        recovery_snapshot_id text,
        recovers_to timestamptz,
        breaches_at timestamptz,
        breached boolean NOT NULL DEFAULT false,
        PRIMARY KEY (policy_id, disk_id, region)
      )`);
    await runner.query(
      `CREATE INDEX policy_targets_in_flight ON policy_targets (in_flight_replication_id) WHERE in_flight_replication_id IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX policy_targets_due ON policy_targets (breaches_at) WHERE NOT breached`,
    );
    await runner.query(
      `CREATE INDEX policy_targets_by_point ON policy_targets (account_id, source_region, disk_id, region)`,
    );
    await runner.query(`
      CREATE TABLE recovery_points (
        snapshot_id text PRIMARY KEY,
        account_id text NOT NULL,
        source_region text NOT NULL,
        disk_id text NOT NULL,
        region text NOT NULL,
        source_snapshot_id text NOT NULL,
        recovers_to timestamptz NOT NULL,
        state text NOT NULL,
        policy_id text
      )`);
    await runner.query(
      `CREATE INDEX recovery_points_by_disk ON recovery_points (account_id, source_region, disk_id, region, recovers_to DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE recovery_points, policy_targets, policy_rules, policy_view`);
  }
}
