import { Injectable } from '@nestjs/common';
import {
  evolveSnapshotView,
  type SnapshotEvent,
  type SnapshotView,
  streamIds,
  type Tag,
  tagProblems,
  refuseFields,
} from '@snapferry/domain';
import type {
  ListSnapshotsQuery,
  SnapshotListResponse,
  SnapshotResponse,
} from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { PostgresEventStore } from '@snapferry/event-store';
import {
  type SnapshotSearch,
  snapshotViewsRepository as views,
} from '../read-models/snapshot-views.repository';
import { toSnapshotResponse } from './snapshot-response';

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
  constructor(private readonly db: PostgresEventStore) {}

  async view(caller: Caller, snapshotId: string): Promise<SnapshotView> {
    const doc =
      (await views.find(this.db, caller.accountId, snapshotId)) ??
      (await this.fromStream(caller, snapshotId));
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
    const { events } = await this.db.readStream<SnapshotEvent>(streamIds.snapshot(snapshotId));
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
    const { total, docs } = await views.list(this.db, caller.accountId, {
      ...page,
      state: query.state ?? null,
      diskId: query.diskId ?? null,
      tags,
    });
    return { ...page, total, snapshots: docs.map(toSnapshotResponse) };
  }

  /** The list with several values per criterion (the cloud API's filters), oldest or newest first. */
  async search(caller: Caller, search: SnapshotSearch) {
    const { total, docs } = await views.search(this.db, caller.accountId, search);
    return { total, snapshots: docs.map(toSnapshotResponse) };
  }

  /** The region of each of these snapshots the caller holds (absent: no such snapshot). */
  regionsOf(caller: Caller, snapshotIds: string[]): Promise<Map<string, string>> {
    return views.regionsOf(this.db, caller.accountId, snapshotIds);
  }

  /** How many snapshots the caller holds and their stored bytes, in one region or in all. */
  totals(caller: Caller, region?: string): Promise<{ count: number; sizeBytes: number }> {
    return views.totals(this.db, caller.accountId, region ?? null);
  }
}

/**
 * The list's `tag:<key>=<value>` filters, checked like tags themselves (the service's own
 * `snapferry:` keys may be filtered on); refused per parameter, `tag:<key>`.
 */
export function checkedTagFilters(filters: readonly Tag[] | undefined): Tag[] | undefined {
  if (!filters) return undefined;
  const fields = filters.flatMap((f) =>
    tagProblems(f, `tag:${f.key}`, true).map((p) => ({ ...p, field: `tag:${f.key}` })),
  );
  if (fields.length > 0) refuseFields(fields);
  return [...filters];
}
