import type { SqlExecutor } from '@snapferry/event-store';

/**
 * What the three views' tables share: one JSON document (`doc`) per id, owned by an account.
 * Each view's repository spreads these in beside its own queries.
 */
export function viewDocuments<Doc>(table: string, idColumn: string) {
  return {
    /** The account's document with this id (another account's is not found). */
    async find(db: SqlExecutor, accountId: string, id: string): Promise<Doc | null> {
      const [row] = await db.query<{ doc: Doc }>(
        `SELECT doc FROM ${table} WHERE ${idColumn} = $1 AND account_id = $2`,
        [id, accountId],
      );
      return row?.doc ?? null;
    },

    /** In the projector's batch: the documents of these ids that exist. */
    async docs(tx: SqlExecutor, ids: string[]): Promise<Map<string, Doc>> {
      const rows = await tx.query<{ id: string; doc: Doc }>(
        `SELECT ${idColumn} AS id, doc FROM ${table} WHERE ${idColumn} = ANY($1)`,
        [ids],
      );
      return new Map(rows.map((r) => [r.id, r.doc]));
    },

    /** In a rebuild's transaction: every document goes. */
    async clear(tx: SqlExecutor): Promise<void> {
      await tx.execute(`DELETE FROM ${table}`);
    },
  };
}
