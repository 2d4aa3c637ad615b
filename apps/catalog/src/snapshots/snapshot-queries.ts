import { Injectable } from '@nestjs/common';
import {
  evolveSnapshotView,
  type SnapshotEvent,
  type SnapshotView,
  streamIds,
} from '@snapferry/domain';
import type { ListSnapshotsQuery } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CatalogStore } from '../store/catalog-store';
import { toSnapshotResponse } from './snapshot-response';

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

  async get(caller: Caller, snapshotId: string) {
    return toSnapshotResponse(await this.view(caller, snapshotId));
  }

  async list(caller: Caller, query: ListSnapshotsQuery) {
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

  private async count(caller: Caller, query: ListSnapshotsQuery): Promise<number> {
    const rows = await this.store.query<{ n: string }>(
      `SELECT count(*) AS n FROM snapshot_view
       WHERE account_id = $1 AND region = $2 AND ($3::text IS NULL OR state = $3) AND ($4::text IS NULL OR disk_id = $4)`,
      [caller.accountId, query.region, query.state ?? null, query.diskId ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
