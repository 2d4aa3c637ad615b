import type { CatalogEvent } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';

/**
 * `region_usage`: snapshots per (account, region), kept in the append transaction so the quota
 * check is exact: a registered snapshot (arriving copies included) counts until it is deleted.
 */
export const regionUsageRepository = {
  /** In the append transaction: counts the snapshots these events register and delete. */
  async apply(tx: SqlExecutor, events: CatalogEvent[]): Promise<void> {
    const deltas = new Map<string, { accountId: string; region: string; delta: number }>();
    for (const event of events) {
      if (event.type !== 'SnapshotRegistered' && event.type !== 'SnapshotDeleted') continue;
      const { accountId, region } = event.data;
      const delta = event.type === 'SnapshotRegistered' ? 1 : -1;
      const key = `${accountId}\u0000${region}`;
      const entry = deltas.get(key) ?? { accountId, region, delta: 0 };
      entry.delta += delta;
      deltas.set(key, entry);
    }
    if (deltas.size === 0) return;
    const rows = [...deltas.values()];
    // One statement for every (account, region) touched, in key order (no deadlocks between writers).
    await tx.execute(
      `INSERT INTO region_usage (account_id, region, snapshots)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) AS u(a, r, d) ORDER BY a, r
       ON CONFLICT (account_id, region) DO UPDATE SET snapshots = region_usage.snapshots + EXCLUDED.snapshots`,
      [rows.map((r) => r.accountId), rows.map((r) => r.region), rows.map((r) => r.delta)],
    );
  },

  /** Locks and reads the account's counts for these regions (serialises concurrent copy requests). */
  async lock(tx: SqlExecutor, accountId: string, regions: string[]): Promise<Map<string, number>> {
    if (regions.length === 0) return new Map();
    // One statement creates missing rows and locks all of them (in region order: no deadlocks).
    const rows = await tx.query<{ region: string; snapshots: number }>(
      `INSERT INTO region_usage (account_id, region, snapshots)
       SELECT $1, r, 0 FROM unnest($2::text[]) AS r ORDER BY r
       ON CONFLICT (account_id, region) DO UPDATE SET snapshots = region_usage.snapshots
       RETURNING region, snapshots`,
      [accountId, [...regions].sort()],
    );
    return new Map(rows.map((r) => [r.region, Number(r.snapshots)]));
  },

  /** The account's snapshot count per region (regions it has none in are absent). */
  async read(db: SqlExecutor, accountId: string): Promise<Map<string, number>> {
    const rows = await db.query<{ region: string; snapshots: number }>(
      `SELECT region, snapshots FROM region_usage WHERE account_id = $1`,
      [accountId],
    );
    return new Map(rows.map((r) => [r.region, Number(r.snapshots)]));
  },
};
