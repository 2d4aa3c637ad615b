import type { ReplicationView } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';
import { viewDocuments } from './view-documents.repository';

/**
 * `replication_view`: one document per copy job, written by its projection in the projector's
 * batch transaction, read by the API and the metrics.
 */
export const replicationViewsRepository = {
  ...viewDocuments<ReplicationView>('replication_view', 'replication_id'),

  /** The account's copy jobs (of one source snapshot, or all), newest first. */
  async list(
    db: SqlExecutor,
    accountId: string,
    filter: { sourceSnapshotId: string | null; offset: number; limit: number },
  ): Promise<ReplicationView[]> {
    const rows = await db.query<{ doc: ReplicationView }>(
      `SELECT doc FROM replication_view WHERE account_id = $1 AND ($2::text IS NULL OR source_snapshot_id = $2)
       ORDER BY requested_at DESC, replication_id DESC OFFSET $3 LIMIT $4`,
      [accountId, filter.sourceSnapshotId, filter.offset, filter.limit],
    );
    return rows.map((r) => r.doc);
  },

  /** How many copy jobs are in each state, across accounts. */
  async countByState(db: SqlExecutor): Promise<{ state: string; count: number }[]> {
    const rows = await db.query<{ state: string; n: string }>(
      `SELECT doc->>'state' AS state, count(*) AS n FROM replication_view GROUP BY 1`,
    );
    return rows.map((r) => ({ state: r.state, count: Number(r.n) }));
  },

  /** In the projector's batch: writes these documents. */
  async write(tx: SqlExecutor, docs: ReplicationView[]): Promise<void> {
    if (docs.length === 0) return;
    await tx.execute(
      `INSERT INTO replication_view (replication_id, account_id, source_snapshot_id, requested_at, doc)
       SELECT d->>'replicationId', d->>'accountId', d->>'sourceSnapshotId', (d->>'requestedAt')::timestamptz, d
       FROM jsonb_array_elements($1::jsonb) AS d
       ON CONFLICT (replication_id) DO UPDATE SET doc = EXCLUDED.doc`,
      [JSON.stringify(docs)],
    );
  },
};
