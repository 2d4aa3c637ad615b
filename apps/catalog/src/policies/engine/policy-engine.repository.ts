import { breachesAt, type PolicyDefinition, type PolicyTarget } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';

/** A policy as the engine has reached it in the log. */
export interface PolicyRule {
  policyId: string;
  accountId: string;
  sourceRegion: string;
  definition: PolicyDefinition;
}

/** One selected disk in one destination of a policy: its copy plan and its recovery point. */
export interface TargetRow {
  policyId: string;
  diskId: string;
  region: string;
  accountId: string;
  sourceRegion: string;
  plan: PolicyTarget;
  recoverySnapshotId: string | null;
  recoversTo: string | null;
  breachesAt: string | null;
  breached: boolean;
}

/** A copy in a region, as `recovery_points` keeps it. */
export interface CopyPoint {
  snapshotId: string;
  accountId: string;
  sourceRegion: string;
  diskId: string;
  region: string;
  sourceSnapshotId: string;
  recoversTo: string;
  state: 'COPYING' | 'NORMAL' | 'FAILED';
  policyId: string | null;
}

/** Where a recovery point is: the disk of one account's source region, in one region. */
export interface PointKey {
  accountId: string;
  sourceRegion: string;
  diskId: string;
  region: string;
}

export const targetKey = (t: { policyId: string; diskId: string; region: string }): string =>
  `${t.policyId}\u0000${t.diskId}\u0000${t.region}`;

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

type TargetRecord = {
  policy_id: string;
  disk_id: string;
  region: string;
  account_id: string;
  source_region: string;
  plan: PolicyTarget;
  recovery_snapshot_id: string | null;
  recovers_to: Date | null;
  breaches_at: Date | null;
  breached: boolean;
};

const toTarget = (r: TargetRecord): TargetRow => ({
  policyId: r.policy_id,
  diskId: r.disk_id,
  region: r.region,
  accountId: r.account_id,
  sourceRegion: r.source_region,
  plan: r.plan,
  recoverySnapshotId: r.recovery_snapshot_id,
  recoversTo: iso(r.recovers_to),
  breachesAt: iso(r.breaches_at),
  breached: r.breached,
});

const targetColumns = `policy_id, disk_id, region, account_id, source_region, plan, recovery_snapshot_id,
  recovers_to, breaches_at, breached`;

/** When a target's objective breaches: only while its policy is enabled and it has a copy. */
export const deadlineOf = (
  recoversTo: string | null,
  definition: PolicyDefinition,
): string | null =>
  recoversTo !== null && definition.enabled ? breachesAt(recoversTo, definition.rpoMinutes) : null;

/**
 * The policy engine's tables (see policy-migrations.ts): `policy_rules`, `policy_targets` and
 * `recovery_points`, always read and written together. Every writer holds the engine's
 * subscription lock (its batches, its passes, its timer), so rows are read and written here
 * without row locks of their own.
 */
export const policyEngineRepository = {
  async rulesFor(db: SqlExecutor, accountId: string, sourceRegion: string): Promise<PolicyRule[]> {
    const rows = await db.query<{ policy_id: string; definition: PolicyDefinition }>(
      `SELECT policy_id, definition FROM policy_rules WHERE account_id = $1 AND source_region = $2 ORDER BY policy_id`,
      [accountId, sourceRegion],
    );
    return rows.map((r) => ({
      policyId: r.policy_id,
      accountId,
      sourceRegion,
      definition: r.definition,
    }));
  },

  async rule(db: SqlExecutor, policyId: string): Promise<PolicyRule | undefined> {
    const rows = await db.query<{
      account_id: string;
      source_region: string;
      definition: PolicyDefinition;
    }>(`SELECT account_id, source_region, definition FROM policy_rules WHERE policy_id = $1`, [
      policyId,
    ]);
    const r = rows[0];
    return (
      r && {
        policyId,
        accountId: r.account_id,
        sourceRegion: r.source_region,
        definition: r.definition,
      }
    );
  },

  async allRules(db: SqlExecutor): Promise<string[]> {
    const rows = await db.query<{ policy_id: string }>(
      `SELECT policy_id FROM policy_rules ORDER BY policy_id`,
    );
    return rows.map((r) => r.policy_id);
  },

  async putRule(db: SqlExecutor, rule: PolicyRule): Promise<void> {
    await db.execute(
      `INSERT INTO policy_rules (policy_id, account_id, source_region, definition) VALUES ($1, $2, $3, $4)
       ON CONFLICT (policy_id) DO UPDATE SET source_region = EXCLUDED.source_region, definition = EXCLUDED.definition`,
      [rule.policyId, rule.accountId, rule.sourceRegion, JSON.stringify(rule.definition)],
    );
  },

  async deleteRule(db: SqlExecutor, policyId: string): Promise<void> {
    await db.execute(`DELETE FROM policy_targets WHERE policy_id = $1`, [policyId]);
    await db.execute(`DELETE FROM policy_rules WHERE policy_id = $1`, [policyId]);
  },

  async targetsOf(db: SqlExecutor, policyId: string): Promise<TargetRow[]> {
    const rows = await db.query<TargetRecord>(
      `SELECT ${targetColumns} FROM policy_targets WHERE policy_id = $1 ORDER BY disk_id, region`,
      [policyId],
    );
    return rows.map(toTarget);
  },

  async targets(
    db: SqlExecutor,
    keys: readonly { policyId: string; diskId: string; region: string }[],
  ): Promise<TargetRow[]> {
    if (keys.length === 0) return [];
    const rows = await db.query<TargetRecord>(
      `SELECT ${targetColumns} FROM policy_targets
       WHERE (policy_id, disk_id, region) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [keys.map((k) => k.policyId), keys.map((k) => k.diskId), keys.map((k) => k.region)],
    );
    return rows.map(toTarget);
  },

  async targetsAt(db: SqlExecutor, point: PointKey): Promise<TargetRow[]> {
    const rows = await db.query<TargetRecord>(
      `SELECT ${targetColumns} FROM policy_targets
       WHERE account_id = $1 AND source_region = $2 AND disk_id = $3 AND region = $4`,
      [point.accountId, point.sourceRegion, point.diskId, point.region],
    );
    return rows.map(toTarget);
  },

  async targetsCopying(db: SqlExecutor, replicationIds: readonly string[]): Promise<TargetRow[]> {
    if (replicationIds.length === 0) return [];
    const rows = await db.query<TargetRecord>(
      `SELECT ${targetColumns} FROM policy_targets WHERE in_flight_replication_id = ANY($1)`,
      [replicationIds],
    );
    return rows.map(toTarget);
  },

  /** Targets whose objective is due to breach (or to be restored) at `now`: the timer's work. */
  async targetsToJudge(db: SqlExecutor, now: string, limit: number): Promise<TargetRow[]> {
    const rows = await db.query<TargetRecord>(
      `SELECT ${targetColumns} FROM policy_targets
       WHERE (NOT breached AND breaches_at <= $1) OR (breached AND breaches_at > $1)
       ORDER BY breaches_at LIMIT $2`,
      [now, limit],
    );
    return rows.map(toTarget);
  },

  /** The next moment an objective breaches, if any is counting down. */
  async nextBreach(db: SqlExecutor): Promise<string | null> {
    const rows = await db.query<{ at: Date | null }>(
      `SELECT min(breaches_at) AS at FROM policy_targets WHERE NOT breached`,
    );
    return iso(rows[0]?.at ?? null);
  },

  /** Writes these targets in one statement (new ones are inserted). */
  async putTargets(db: SqlExecutor, targets: readonly TargetRow[]): Promise<void> {
    if (targets.length === 0) return;
    await db.execute(
      `INSERT INTO policy_targets (${targetColumns}, in_flight_replication_id)
       SELECT t.policy_id, t.disk_id, t.region, t.account_id, t.source_region, t.plan,
         t.recovery_snapshot_id, t.recovers_to, t.breaches_at, t.breached, t.plan->'inFlight'->>'replicationId'
       FROM jsonb_to_recordset($1::jsonb) AS t(policy_id text, disk_id text, region text, account_id text,
         source_region text, plan jsonb, recovery_snapshot_id text, recovers_to timestamptz,
         breaches_at timestamptz, breached boolean)
       ON CONFLICT (policy_id, disk_id, region) DO UPDATE SET plan = EXCLUDED.plan,
         recovery_snapshot_id = EXCLUDED.recovery_snapshot_id, recovers_to = EXCLUDED.recovers_to,
         breaches_at = EXCLUDED.breaches_at, breached = EXCLUDED.breached,
         in_flight_replication_id = EXCLUDED.in_flight_replication_id`,
      [
        JSON.stringify(
          targets.map((t) => ({
            policy_id: t.policyId,
            disk_id: t.diskId,
            region: t.region,
            account_id: t.accountId,
            source_region: t.sourceRegion,
            plan: t.plan,
            recovery_snapshot_id: t.recoverySnapshotId,
            recovers_to: t.recoversTo,
            breaches_at: t.breachesAt,
            breached: t.breached,
          })),
        ),
      ],
    );
  },

  async deleteTargets(db: SqlExecutor, targets: readonly TargetRow[]): Promise<void> {
    if (targets.length === 0) return;
    await db.execute(
      `DELETE FROM policy_targets
       WHERE (policy_id, disk_id, region) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [targets.map((k) => k.policyId), targets.map((k) => k.diskId), targets.map((k) => k.region)],
    );
  },

  /** The newest NORMAL copy at each of these points. */
  async newestCopies(
    db: SqlExecutor,
    points: readonly PointKey[],
  ): Promise<Map<string, { snapshotId: string; recoversTo: string }>> {
    if (points.length === 0) return new Map();
    const rows = await db.query<{
      account_id: string;
      source_region: string;
      disk_id: string;
      region: string;
      snapshot_id: string;
      recovers_to: Date;
    }>(
      `SELECT DISTINCT ON (r.account_id, r.source_region, r.disk_id, r.region)
         r.account_id, r.source_region, r.disk_id, r.region, r.snapshot_id, r.recovers_to
       FROM recovery_points r
       JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(a, s, d, g)
         ON r.account_id = p.a AND r.source_region = p.s AND r.disk_id = p.d AND r.region = p.g
       WHERE r.state = 'NORMAL'
       ORDER BY r.account_id, r.source_region, r.disk_id, r.region, r.recovers_to DESC, r.snapshot_id DESC`,
      [
        points.map((p) => p.accountId),
        points.map((p) => p.sourceRegion),
        points.map((p) => p.diskId),
        points.map((p) => p.region),
      ],
    );
    return new Map(
      rows.map((r) => [
        pointKey({
          accountId: r.account_id,
          sourceRegion: r.source_region,
          diskId: r.disk_id,
          region: r.region,
        }),
        { snapshotId: r.snapshot_id, recoversTo: new Date(r.recovers_to).toISOString() },
      ]),
    );
  },

  async putCopy(db: SqlExecutor, copy: CopyPoint): Promise<void> {
    await db.execute(
      `INSERT INTO recovery_points (snapshot_id, account_id, source_region, disk_id, region, source_snapshot_id,
         recovers_to, state, policy_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (snapshot_id) DO NOTHING`,
      [
        copy.snapshotId,
        copy.accountId,
        copy.sourceRegion,
        copy.diskId,
        copy.region,
        copy.sourceSnapshotId,
        copy.recoversTo,
        copy.state,
        copy.policyId,
      ],
    );
  },

  /** Moves a copy to a new state (or removes it: `null`); its point, if it was one. */
  async moveCopy(
    db: SqlExecutor,
    snapshotId: string,
    state: CopyPoint['state'] | null,
  ): Promise<PointKey | undefined> {
    const rows = await db.query<{
      account_id: string;
      source_region: string;
      disk_id: string;
      region: string;
    }>(
      state === null
        ? `DELETE FROM recovery_points WHERE snapshot_id = $1 RETURNING account_id, source_region, disk_id, region`
        : `UPDATE recovery_points SET state = $2 WHERE snapshot_id = $1 RETURNING account_id, source_region, disk_id, region`,
      state === null ? [snapshotId] : [snapshotId, state],
    );
    const r = rows[0];
    return (
      r && {
        accountId: r.account_id,
        sourceRegion: r.source_region,
        diskId: r.disk_id,
        region: r.region,
      }
    );
  },

  /** Every copy at these points (retention's destination candidates), with whether a copy reads it. */
  async copiesAt(
    db: SqlExecutor,
    accountId: string,
    sourceRegion: string,
    diskIds: readonly string[],
    regions: readonly string[],
  ): Promise<(CopyPoint & { copying: boolean })[]> {
    if (diskIds.length === 0 || regions.length === 0) return [];
    const rows = await db.query<{
      snapshot_id: string;
      disk_id: string;
      region: string;
      source_snapshot_id: string;
      recovers_to: Date;
      state: CopyPoint['state'];
      policy_id: string | null;
      copying: boolean;
    }>(
      `SELECT r.snapshot_id, r.disk_id, r.region, r.source_snapshot_id, r.recovers_to, r.state, r.policy_id,
         coalesce(jsonb_array_length(v.doc->'copyingToRegions') > 0, false) AS copying
       FROM recovery_points r LEFT JOIN snapshot_view v ON v.snapshot_id = r.snapshot_id
       WHERE r.account_id = $1 AND r.source_region = $2 AND r.disk_id = ANY($3) AND r.region = ANY($4)`,
      [accountId, sourceRegion, diskIds, regions],
    );
    return rows.map((r) => ({
      snapshotId: r.snapshot_id,
      accountId,
      sourceRegion,
      diskId: r.disk_id,
      region: r.region,
      sourceSnapshotId: r.source_snapshot_id,
      recoversTo: new Date(r.recovers_to).toISOString(),
      state: r.state,
      policyId: r.policy_id,
      copying: r.copying,
    }));
  },

  /** Each target with a copy: how old (seconds, by the database's clock) its newest copy's data is. */
  async recoveryPointAges(
    db: SqlExecutor,
  ): Promise<{ policyId: string; diskId: string; region: string; ageSeconds: number }[]> {
    const rows = await db.query<{
      policy_id: string;
      disk_id: string;
      region: string;
      age: number;
    }>(
      `SELECT policy_id, disk_id, region, extract(epoch FROM now() - recovers_to)::float8 AS age
       FROM policy_targets WHERE recovers_to IS NOT NULL`,
    );
    return rows.map((r) => ({
      policyId: r.policy_id,
      diskId: r.disk_id,
      region: r.region,
      ageSeconds: r.age,
    }));
  },
};

export const pointKey = (p: PointKey): string =>
  `${p.accountId}\u0000${p.sourceRegion}\u0000${p.diskId}\u0000${p.region}`;
