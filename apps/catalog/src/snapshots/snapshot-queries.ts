import { Injectable } from '@nestjs/common';
import {
  evolveSnapshotView,
  type SnapshotEvent,
  type SnapshotView,
  streamIds,
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
  order: 'ASC' | 'DESC';
  offset: number;
  limit: number;
}

const searchFilter = `account_id = $1 AND region = $2
  AND ($3::text[] IS NULL OR snapshot_id = ANY($3)) AND ($4::text[] IS NULL OR doc->>'name' = ANY($4))
  AND ($5::text[] IS NULL OR state = ANY($5)) AND ($6::text[] IS NULL OR doc->>'diskUsage' = ANY($6))
  AND ($7::text[] IS NULL OR disk_id = ANY($7)) AND ($8::boolean[] IS NULL OR (doc->>'encrypted')::boolean = ANY($8))`;

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
    const rows = await this.store.query<{ doc: SnapshotView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM snapshot_view
       WHERE account_id = $1 AND region = $2 AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR disk_id = $4)
       ORDER BY created_at DESC, snapshot_id DESC OFFSET $5 LIMIT $6`,
      [caller.accountId, query.region, query.state ?? null, query.diskId ?? null, offset, limit],
    );
    const total = rows[0] ? Number(rows[0].total) : await this.count(caller, query);
    return {
      region: query.region,
      total,
      offset,
      limit,
      snapshots: rows.map((r) => toSnapshotResponse(r.doc)),
    };
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
    ];
    const order = search.order === 'ASC' ? 'ASC' : 'DESC';
    const rows = await this.store.query<{ doc: SnapshotView; total: string }>(
      `SELECT doc, count(*) OVER () AS total FROM snapshot_view WHERE ${searchFilter}
       ORDER BY created_at ${order}, snapshot_id ${order} OFFSET $9 LIMIT $10`,
      [...params, search.offset, search.limit],
    );
    const total = rows[0]
      ? Number(rows[0].total)
      : Number(
          (
            await this.store.query<{ n: string }>(
              `SELECT count(*) AS n FROM snapshot_view WHERE ${searchFilter}`,
              params,
            )
          )[0]?.n ?? 0,
        );
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

  private async count(caller: Caller, query: ListSnapshotsQuery): Promise<number> {
    const rows = await this.store.query<{ n: string }>(
      `SELECT count(*) AS n FROM snapshot_view
       WHERE account_id = $1 AND region = $2 AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR disk_id = $4)`,
      [caller.accountId, query.region, query.state ?? null, query.diskId ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
