import { type PolicyTag, type SnapshotView } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';
import { viewDocuments } from './view-documents.repository';

/** A search over one region's list: every given criterion must hold (values of one criterion: any). */
export interface SnapshotSearch {
  region: string;
  snapshotIds?: string[];
  names?: string[];
  states?: string[];
  diskUsages?: string[];
  diskIds?: string[];
  encrypted?: boolean[];
  /** Snapshots carrying any of these tag keys (the cloud's `tag-key`). */
  tagKeys?: string[];
  /** Per key, the values one of which the snapshot's tag must hold (the cloud's `tag:<key>`). */
  tagValues?: Record<string, string[]>;
  /** Snapshots with a tag holding any of these values (the cloud's `tag-value`). */
  tagValueAny?: string[];
  order: 'ASC' | 'DESC';
  offset: number;
  limit: number;
}

/** The list's criteria, each optional (null: any); tags as one object every one of which must hold. */
export interface SnapshotListFilter {
  region: string;
  state: string | null;
  diskId: string | null;
  tags: Record<string, string> | null;
  offset: number;
  limit: number;
}

/** A page of documents and how many match in all. */
export interface SnapshotPage {
  total: number;
  docs: SnapshotView[];
}

/** A source snapshot a policy may select, as the view records it. */
export interface SourceSnapshotRow {
  snapshotId: string;
  diskId: string;
  state: string;
  createdAt: Date;
  /** A copy of it is in flight. */
  copying: boolean;
  tags: PolicyTag[] | null;
}

const searchFilter = `account_id = $1 AND region = $2
  AND ($3::text[] IS NULL OR snapshot_id = ANY($3)) AND ($4::text[] IS NULL OR doc->>'name' = ANY($4))
  AND ($5::text[] IS NULL OR state = ANY($5)) AND ($6::text[] IS NULL OR doc->>'diskUsage' = ANY($6))
  AND ($7::text[] IS NULL OR disk_id = ANY($7)) AND ($8::boolean[] IS NULL OR (doc->>'encrypted')::boolean = ANY($8))
  AND ($9::text[] IS NULL OR tags ?| $9)
  AND ($10::jsonb IS NULL OR NOT EXISTS (SELECT 1 FROM jsonb_each($10::jsonb) AS f
    WHERE NOT coalesce(tags->>f.key = ANY(ARRAY(SELECT jsonb_array_elements_text(f.value))), false)))
  AND ($11::text[] IS NULL OR EXISTS (SELECT 1 FROM jsonb_each_text(tags) AS e WHERE e.value = ANY($11)))`;

/** The list's criteria: region, then each optional one (null: any). Tags as one `@>` object. */
const listFilter = `account_id = $1 AND region = $2 AND ($3::text IS NULL OR state = $3)
  AND ($4::text IS NULL OR disk_id = $4) AND ($5::jsonb IS NULL OR tags @> $5::jsonb)`;

/** A page of a filter's matches; a page past the end has no row to carry the window count. */
async function page(
  db: SqlExecutor,
  filter: string,
  params: unknown[],
  order: string,
  offset: number,
  limit: number,
): Promise<SnapshotPage> {
  const next = params.length + 1;
  const rows = await db.query<{ doc: SnapshotView; total: string }>(
    `SELECT doc, count(*) OVER () AS total FROM snapshot_view WHERE ${filter}
     ORDER BY ${order} OFFSET $${next} LIMIT $${next + 1}`,
    [...params, offset, limit],
  );
  const total = rows[0]
    ? Number(rows[0].total)
    : Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM snapshot_view WHERE ${filter}`,
            params,
          )
        )[0]?.n ?? 0,
      );
  return { total, docs: rows.map((r) => r.doc) };
}

/**
 * `snapshot_view`: the source and target status views, one document per snapshot with rows per
 * region for the lists. Written by its projection in the projector's batch transaction, read by
 * the API, the cloud API and the policies.
 */
export const snapshotViewsRepository = {
  ...viewDocuments<SnapshotView>('snapshot_view', 'snapshot_id'),

  /** The account's snapshots of a region, newest first. */
  list(db: SqlExecutor, accountId: string, filter: SnapshotListFilter): Promise<SnapshotPage> {
    const params = [
      accountId,
      filter.region,
      filter.state,
      filter.diskId,
      filter.tags === null ? null : JSON.stringify(filter.tags),
    ];
    return page(
      db,
      listFilter,
      params,
      'created_at DESC, snapshot_id DESC',
      filter.offset,
      filter.limit,
    );
  },

  /** The list with several values per criterion (the cloud API's filters), oldest or newest first. */
  search(db: SqlExecutor, accountId: string, search: SnapshotSearch): Promise<SnapshotPage> {
    const params = [
      accountId,
      search.region,
      search.snapshotIds ?? null,
      search.names ?? null,
      search.states ?? null,
      search.diskUsages ?? null,
      search.diskIds ?? null,
      search.encrypted ?? null,
      search.tagKeys ?? null,
      search.tagValues ? JSON.stringify(search.tagValues) : null,
      search.tagValueAny ?? null,
    ];
    const order = search.order === 'ASC' ? 'ASC' : 'DESC';
    return page(
      db,
      searchFilter,
      params,
      `created_at ${order}, snapshot_id ${order}`,
      search.offset,
      search.limit,
    );
  },

  /** The region of each of these snapshots the account holds (absent: no such snapshot). */
  async regionsOf(
    db: SqlExecutor,
    accountId: string,
    snapshotIds: string[],
  ): Promise<Map<string, string>> {
    const rows = await db.query<{ snapshot_id: string; region: string }>(
      `SELECT snapshot_id, region FROM snapshot_view WHERE account_id = $1 AND snapshot_id = ANY($2)`,
      [accountId, snapshotIds],
    );
    return new Map(rows.map((r) => [r.snapshot_id, r.region]));
  },

  /** How many snapshots the account holds and their stored bytes, in one region or in all. */
  async totals(
    db: SqlExecutor,
    accountId: string,
    region: string | null,
  ): Promise<{ count: number; sizeBytes: number }> {
    const rows = await db.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, coalesce(sum((doc->>'sizeBytes')::bigint), 0) AS bytes FROM snapshot_view
       WHERE account_id = $1 AND ($2::text IS NULL OR region = $2)`,
      [accountId, region],
    );
    return { count: Number(rows[0]?.n ?? 0), sizeBytes: Number(rows[0]?.bytes ?? 0) };
  },

  /**
   * Source snapshots of a region (not arriving copies): on one of `diskIds` or, where the view
   * records tags, carrying every tag of `tags`. `newestOnly`: the newest NORMAL one of each disk.
   */
  async sourceSnapshots(
    db: SqlExecutor,
    where: {
      accountId: string;
      region: string;
      diskIds: readonly string[];
      tags: Record<string, string>;
    },
    newestOnly: boolean,
  ): Promise<SourceSnapshotRow[]> {
    const rows = await db.query<{
      snapshot_id: string;
      disk_id: string;
      state: string;
      created_at: Date;
      copying: boolean;
      tags: PolicyTag[] | null;
    }>(
      `SELECT ${newestOnly ? 'DISTINCT ON (disk_id)' : ''} snapshot_id, disk_id, state, created_at,
         coalesce(jsonb_array_length(doc->'copyingToRegions') > 0, false) AS copying, doc->'tags' AS tags
       FROM snapshot_view
       WHERE account_id = $1 AND region = $2 AND NOT (doc->>'copyFromRemote')::boolean
         AND (disk_id = ANY($3) OR ($4::jsonb <> '{}'::jsonb AND tags @> $4::jsonb))
         ${newestOnly ? `AND state = 'NORMAL'` : ''}
       ORDER BY disk_id, created_at DESC, snapshot_id DESC`,
      [where.accountId, where.region, where.diskIds, JSON.stringify(where.tags)],
    );
    return rows.map((r) => ({
      snapshotId: r.snapshot_id,
      diskId: r.disk_id,
      state: r.state,
      createdAt: r.created_at,
      copying: r.copying,
      tags: r.tags,
    }));
  },

  /** In the projector's batch: writes these documents and deletes those of `deleted`. */
  async write(tx: SqlExecutor, docs: SnapshotView[], deleted: string[]): Promise<void> {
    if (deleted.length > 0)
      await tx.execute(`DELETE FROM snapshot_view WHERE snapshot_id = ANY($1)`, [deleted]);
    if (docs.length > 0)
      await tx.execute(
        `INSERT INTO snapshot_view (snapshot_id, account_id, region, state, disk_id, created_at, tags, doc)
         SELECT d->>'snapshotId', d->>'accountId', d->>'region', d->>'state', d->>'diskId', (d->>'createdAt')::timestamptz,
           (SELECT coalesce(jsonb_object_agg(t->>'key', t->>'value'), '{}')
            FROM jsonb_array_elements(coalesce(d->'tags', '[]')) AS t), d
         FROM jsonb_array_elements($1::jsonb) AS d
         ON CONFLICT (snapshot_id) DO UPDATE SET state = EXCLUDED.state, tags = EXCLUDED.tags, doc = EXCLUDED.doc`,
        [JSON.stringify(docs)],
      );
  },
};
