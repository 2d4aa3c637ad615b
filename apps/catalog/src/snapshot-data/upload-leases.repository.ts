import type { SqlExecutor } from '@snapferry/event-store';

/** `upload_leases`: one row per snapshot being uploaded, with its holder and expiry. */
export const uploadLeasesRepository = {
  /** Takes the snapshot's lease for `holder` unless another holder's has not expired (false). */
  async take(db: SqlExecutor, snapshotId: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO upload_leases (snapshot_id, holder, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (snapshot_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE upload_leases.expires_at < now()
       RETURNING holder`,
      [snapshotId, holder, ttlMs],
    );
    return rows.length > 0;
  },

  /** Extends the holder's lease by `ttlMs` from now; false when another holder took it over. */
  async renew(
    db: SqlExecutor,
    snapshotId: string,
    holder: string,
    ttlMs: number,
  ): Promise<boolean> {
    const rows = await db.query(
      `UPDATE upload_leases SET expires_at = now() + $3 * interval '1 millisecond'
       WHERE snapshot_id = $1 AND holder = $2 RETURNING 1`,
      [snapshotId, holder, ttlMs],
    );
    return rows.length > 0;
  },

  async release(db: SqlExecutor, snapshotId: string, holder: string): Promise<void> {
    await db.execute(`DELETE FROM upload_leases WHERE snapshot_id = $1 AND holder = $2`, [
      snapshotId,
      holder,
    ]);
  },
};
