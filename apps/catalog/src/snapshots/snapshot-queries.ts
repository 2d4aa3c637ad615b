import { Injectable } from '@nestjs/common';
import {
  evolveSnapshotView,
  type SnapshotEvent,
  type SnapshotView,
  streamIds,
  type Tag,
  tagProblems,
} from '@snapferry/domain';
import type {
  ListSnapshotsQuery,
  SnapshotListResponse,
  SnapshotResponse,
} from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CatalogStore } from '../store/catalog-store';
import { toSnapshotResponse } from './snapshot-response';

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
  order: 'ASC' | 'DESC';
  offset: number;
  limit: number;
}

const searchFilter = `account_id = $1 AND region = $2
  AND ($3::text[] IS NULL OR snapshot_id = ANY($3)) AND ($4::text[] IS NULL OR doc->>'name' = ANY($4))
  AND ($5::text[] IS NULL OR state = ANY($5)) AND ($6::text[] IS NULL OR doc->>'diskUsage' = ANY($6))
  AND ($7::text[] IS NULL OR disk_id = ANY($7)) AND ($8::boolean[] IS NULL OR (doc->>'encrypted')::boolean = ANY($8))
  AND ($9::text[] IS NULL OR tags ?| $9)
  AND ($10::jsonb IS NULL OR NOT EXISTS (SELECT 1 FROM jsonb_each($10::jsonb) AS f
    WHERE NOT coalesce(tags->>f.key = ANY(ARRAY(SELECT jsonb_array_elements_text(f.value))), false)))`;

/** The list's criteria: region, then each optional one (null: any). Tags as one `@>` object. */
const listFilter = `account_id = $1 AND region = $2 AND ($3::text IS NULL OR state = $3)
  AND ($4::text IS NULL OR disk_id = $4) AND ($5::jsonb IS NULL OR tags @> $5::jsonb)`;

/**
 * The `tag:<key>=<value>` filters as one object for `@>`; null when there are none, and
 * `'conflict'` when a key is asked for with two values (all must match: nothing can).
 */
export function tagFilterObject(
  filters: readonly Tag[] | undefined,
): Record<string, string> | null | 'conflict' {
  if (!filters || filters.length === 0) return null;
  const object: Record<string, string> = {};
  for (const { key, value } of filters) {
    if (Object.hasOwn(object, key) && object[key] !== value) return 'conflict';
    object[key] = value;
  }
  return object;
}

/** Reads the status views (the read model; commands wait for it, so a caller reads its own writes). */
@Injectable()
export class SnapshotQueries {
  constructor(private readonly store: CatalogStore) {}

  async view(caller: Caller, snapshotId: string): Promise<SnapshotView> {
    const rows = await this.store.query<{ doc: SnapshotView }>(
      `SELECT doc FROM snapshot_view WHERE snapshot_id = $1 AND account_id = $2`,
      [snapshotId, caller.accountId],
    );
    const doc = rows[0]?.doc ?? (await this.fromStream(caller, snapshotId));
    if (!doc)
      throw new ApiError(404, 'ResourceNotFound.Snapshot', `snapshot ${snapshotId} does not exist`);
    return doc;
  }

  /**
   * The document folded from the snapshot's own stream, for a snapshot the views do not show
   * yet (the projection lags, e.g. after a read-your-writes wait timed out): a snapshot that
   * exists is never answered 404. Copy progress lives in other streams, so percentages may
   * trail until the projection catches up.
   */
  private async fromStream(caller: Caller, snapshotId: string): Promise<SnapshotView | null> {
    const { events } = await this.store.eventStore.readStream<SnapshotEvent>(
      streamIds.snapshot(snapshotId),
    );
    const doc = events.reduce<SnapshotView | null>(
      (view, event) => evolveSnapshotView(view, event, snapshotId),
      null,
    );
    return doc?.accountId === caller.accountId ? doc : null;
  }

  async get(caller: Caller, snapshotId: string): Promise<SnapshotResponse> {
    return toSnapshotResponse(await this.view(caller, snapshotId));
  }

  async list(caller: Caller, query: ListSnapshotsQuery): Promise<SnapshotListResponse> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const tags = tagFilterObject(checkedTagFilters(query.tagFilters));
    const page = { region: query.region, offset, limit };
    if (tags === 'conflict') return { ...page, total: 0, snapshots: [] };
    const params = [
      caller.accountId,
      query.region,
      query.state ?? null,
      query.diskId ?? null,
      tags === null ? null : JSON.stringify(tags),
    ];
    const rows = await this.store.query<{ doc: SnapshotView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM snapshot_view WHERE ${listFilter}
       ORDER BY created_at DESC, snapshot_id DESC OFFSET $6 LIMIT $7`,
      [...params, offset, limit],
    );
    const total = rows[0] ? Number(rows[0].total) : await this.count(listFilter, params);
    return { ...page, total, snapshots: rows.map((r) => toSnapshotResponse(r.doc)) };
  }

  /** The list with several values per criterion (the cloud API's filters), oldest or newest first. */
  async search(caller: Caller, search: SnapshotSearch) {
    const params = [
      caller.accountId,
      search.region,
      search.snapshotIds ?? null,
      search.names ?? null,
      search.states ?? null,
      search.diskUsages ?? null,
      search.diskIds ?? null,
      search.encrypted ?? null,
      search.tagKeys ?? null,
      search.tagValues ? JSON.stringify(search.tagValues) : null,
    ];
    const order = search.order === 'ASC' ? 'ASC' : 'DESC';
    const rows = await this.store.query<{ doc: SnapshotView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM snapshot_view WHERE ${searchFilter}
       ORDER BY created_at ${order}, snapshot_id ${order} OFFSET $11 LIMIT $12`,
      [...params, search.offset, search.limit],
    );
    const total = rows[0] ? Number(rows[0].total) : await this.count(searchFilter, params);
    return { total, snapshots: rows.map((r) => toSnapshotResponse(r.doc)) };
  }

  /** The region of each of these snapshots the caller holds (absent: no such snapshot). */
  async regionsOf(caller: Caller, snapshotIds: string[]): Promise<Map<string, string>> {
    const rows = await this.store.query<{ snapshot_id: string; region: string }>(
      `SELECT snapshot_id, region FROM snapshot_view WHERE account_id = $1 AND snapshot_id = ANY($2)`,
      [caller.accountId, snapshotIds],
    );
    return new Map(rows.map((r) => [r.snapshot_id, r.region]));
  }

  /** How many snapshots the caller holds and their stored bytes, in one region or in all. */
  async totals(caller: Caller, region?: string): Promise<{ count: number; sizeBytes: number }> {
    const rows = await this.store.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, coalesce(sum((doc->>'sizeBytes')::bigint), 0) AS bytes FROM snapshot_view
       WHERE account_id = $1 AND ($2::text IS NULL OR region = $2)`,
      [caller.accountId, region ?? null],
    );
    return { count: Number(rows[0]?.n ?? 0), sizeBytes: Number(rows[0]?.bytes ?? 0) };
  }

  /** How many match (a page past the end has no row to carry the window count). */
  private async count(filter: string, params: unknown[]): Promise<number> {
    const rows = await this.store.query<{ n: string }>(
      `SELECT count(*) AS n FROM snapshot_view WHERE ${filter}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/**
 * The list's `tag:<key>=<value>` filters, checked like tags themselves (the service's own
 * `snapferry:` keys may be filtered on); refused per parameter, `tag:<key>`.
 */
export function checkedTagFilters(filters: readonly Tag[] | undefined): Tag[] | undefined {
  if (!filters) return undefined;
  const fields = filters.flatMap((f) =>
    tagProblems(f, `tag:${f.key}`, true).map((p) => ({
      ...p,
      field: `tag:${f.key}`,
    })),
  );
  if (fields.length > 0)
    throw new ApiError(
      400,
      'InvalidParameterValue.Tags',
      fields.map((f) => `${f.field}: ${f.message}`).join('; '),
      {},
      fields,
    );
  return [...filters];
}
