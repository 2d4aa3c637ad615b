import type { SqlExecutor } from '@snapferry/event-store';

/** `cloud_signatures`: the cloud API's used signatures, shared by every catalog of the database. */
export const cloudSignaturesRepository = {
  /**
   * Records a use of `signature` (hex) in one statement: the first inserts the row with its
   * action, a later one counts itself and reads the first's action back, atomically even when
   * both arrive at once.
   */
  async use(
    db: SqlExecutor,
    signature: string,
    action: string,
    expiresAt: Date,
  ): Promise<{ firstAction: string; uses: number }> {
    const [row] = await db.query<{ action: string; uses: number }>(
      `INSERT INTO cloud_signatures (signature, action, expires_at) VALUES (decode($1, 'hex'), $2, $3)
       ON CONFLICT (signature) DO UPDATE SET uses = cloud_signatures.uses + 1
       RETURNING action, uses`,
      [signature, action, expiresAt.toISOString()],
    );
    return { firstAction: row!.action, uses: row!.uses };
  },

  async deleteExpiredBefore(db: SqlExecutor, before: Date): Promise<void> {
    await db.execute(`DELETE FROM cloud_signatures WHERE expires_at < $1`, [before.toISOString()]);
  },
};
