import type { PolicyView } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';
import { viewDocuments } from './view-documents.repository';

/** `policy_view`: the account's policies, written by its projection, read by the API. */
export const policyViewsRepository = {
  ...viewDocuments<PolicyView>('policy_view', 'policy_id'),

  /** A page of the account's policies, newest first, and how many it has in all. */
  async list(
    db: SqlExecutor,
    accountId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; docs: PolicyView[] }> {
    const rows = await db.query<{ doc: PolicyView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM policy_view WHERE account_id = $1
       ORDER BY created_at DESC, policy_id DESC OFFSET $2 LIMIT $3`,
      [accountId, offset, limit],
    );
    // A page past the end has no row to carry the window count.
    const total =
      rows[0]?.total ??
      (
        await db.query<{ total: string }>(
          `SELECT count(*) AS total FROM policy_view WHERE account_id = $1`,
          [accountId],
        )
      )[0]?.total ??
      '0';
    return { total: Number(total), docs: rows.map((r) => r.doc) };
  },

  /** In the projector's batch: writes these documents and deletes those of `deleted`. */
  async write(tx: SqlExecutor, docs: PolicyView[], deleted: string[]): Promise<void> {
    if (deleted.length > 0)
      await tx.execute(`DELETE FROM policy_view WHERE policy_id = ANY($1)`, [deleted]);
    if (docs.length > 0)
      await tx.execute(
        `INSERT INTO policy_view (policy_id, account_id, created_at, doc)
         SELECT d->>'policyId', d->>'accountId', (d->>'createdAt')::timestamptz, d
         FROM jsonb_array_elements($1::jsonb) AS d
         ON CONFLICT (policy_id) DO UPDATE SET doc = EXCLUDED.doc`,
        [JSON.stringify(docs)],
      );
  },
};
