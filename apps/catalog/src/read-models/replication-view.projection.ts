import {
  evolveReplicationView,
  type ReplicationEvent,
  type ReplicationView,
  replicationEventTypes,
} from '@snapferry/domain';
import type { Projection } from './projection';

const canHandle = new Set<string>(replicationEventTypes);

/** Copy jobs for `GET /v1/replications`. */
export const replicationViewProjection: Projection = {
  name: 'replication-view',
  tables: ['replication_view'],
  async handle(events, sql) {
    const relevant = events.filter((e) => canHandle.has(e.type)) as unknown as ReplicationEvent[];
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => e.data.replicationId))];
    const { rows } = await sql<{ replication_id: string; doc: ReplicationView }>(
      `SELECT replication_id, doc FROM replication_view WHERE replication_id = ANY($1)`,
      [ids],
    );
    const docs = new Map<string, ReplicationView | null>(
      rows.map((r) => [r.replication_id, r.doc]),
    );
    for (const event of relevant)
      docs.set(
        event.data.replicationId,
        evolveReplicationView(docs.get(event.data.replicationId) ?? null, event),
      );
    const upserts = [...docs.values()].filter((d): d is ReplicationView => d !== null);
    if (upserts.length > 0)
      await sql(
        `INSERT INTO replication_view (replication_id, account_id, source_snapshot_id, requested_at, doc)
         SELECT d->>'replicationId', d->>'accountId', d->>'sourceSnapshotId', (d->>'requestedAt')::timestamptz, d
         FROM jsonb_array_elements($1::jsonb) AS d
         ON CONFLICT (replication_id) DO UPDATE SET doc = EXCLUDED.doc`,
        [JSON.stringify(upserts)],
      );
  },
};
