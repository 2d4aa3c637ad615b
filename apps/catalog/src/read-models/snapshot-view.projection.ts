import {
  evolveSnapshotView,
  type SnapshotView,
  type SnapshotViewEvent,
  snapshotViewIds,
  replicationEventTypes,
  snapshotEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';

const canHandle = new Set<string>([...snapshotEventTypes, ...replicationEventTypes]);

/**
 * The source and target status views: one document per snapshot, rows per region for the
 * lists. A batch loads each touched document once, evolves it through the batch's events
 * and writes it once.
 */
export const snapshotViewProjection: Projection = {
  name: 'snapshot-view',
  tables: ['snapshot_view'],
  async handle(events, sql) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as SnapshotViewEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.flatMap(snapshotViewIds))];
    const { rows } = await sql<{ snapshot_id: string; doc: SnapshotView }>(
      `SELECT snapshot_id, doc FROM snapshot_view WHERE snapshot_id = ANY($1)`,
      [ids],
    );
    const docs = new Map<string, SnapshotView | null>(rows.map((r) => [r.snapshot_id, r.doc]));
    for (const event of relevant)
      for (const id of snapshotViewIds(event))
        docs.set(id, evolveSnapshotView(docs.get(id) ?? null, event, id));
    const upserts = [...docs.values()].filter((d): d is SnapshotView => d !== null);
    const deletes = [...docs.entries()].filter(([, d]) => d === null).map(([id]) => id);
    if (deletes.length > 0)
      await sql(`DELETE FROM snapshot_view WHERE snapshot_id = ANY($1)`, [deletes]);
    if (upserts.length > 0)
      await sql(
        `INSERT INTO snapshot_view (snapshot_id, account_id, region, state, disk_id, created_at, tags, doc)
         SELECT d->>'snapshotId', d->>'accountId', d->>'region', d->>'state', d->>'diskId', (d->>'createdAt')::timestamptz,
           (SELECT coalesce(jsonb_object_agg(t->>'key', t->>'value'), '{}')
            FROM jsonb_array_elements(coalesce(d->'tags', '[]')) AS t), d
         FROM jsonb_array_elements($1::jsonb) AS d
         ON CONFLICT (snapshot_id) DO UPDATE SET state = EXCLUDED.state, tags = EXCLUDED.tags, doc = EXCLUDED.doc`,
        [JSON.stringify(upserts)],
      );
  },
};
