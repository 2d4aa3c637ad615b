import { maxCheckpoint, initialCheckpoint, type Checkpoint } from './checkpoint';
import { eventColumns, toRecordedEvent, type EventRow } from './rows';
import type { Sql } from './sql';
import type { AnyEvent, EventFilter, ReadStreamResult, RecordedEvent } from './types';

export type ReadStreamOptions = { fromPosition?: number; maxCount?: number };

export async function readStream<E extends AnyEvent>(
  sql: Sql,
  streamId: string,
  { fromPosition = 1, maxCount }: ReadStreamOptions = {},
): Promise<ReadStreamResult<E>> {
  // One statement, one snapshot: the version must match the events a decision is made on.
  const { rows } = await sql<EventRow & { version: number }>(
    `SELECT v.version, page.* FROM (SELECT coalesce((SELECT version FROM streams WHERE stream_id = $1), 0) AS version) v
     LEFT JOIN LATERAL (
       SELECT ${eventColumns} FROM events e
       WHERE e.stream_id = $1 AND e.stream_position >= $2
       ORDER BY e.stream_position LIMIT $3
     ) page ON true`,
    [streamId, fromPosition, maxCount ?? null],
  );
  const currentVersion = rows[0]?.version ?? 0;
  const events = rows
    .filter((row) => row.global_position !== null)
    .map((row) => toRecordedEvent<E>(row));
  return { events, currentVersion, streamExists: currentVersion > 0 };
}

/** Several streams in one statement (one snapshot), in the order asked; missing streams come back empty. */
export async function readStreams<E extends AnyEvent>(
  sql: Sql,
  streamIds: readonly string[],
): Promise<Map<string, ReadStreamResult<E>>> {
  const results = new Map<string, ReadStreamResult<E>>();
  if (streamIds.length === 0) return results;
  const { rows } = await sql<EventRow & { requested: string; version: number | null }>(
    `SELECT r.id AS requested, s.version, page.* FROM unnest($1::text[]) AS r(id)
     LEFT JOIN streams s ON s.stream_id = r.id
     LEFT JOIN LATERAL (
       SELECT ${eventColumns} FROM events e WHERE e.stream_id = r.id ORDER BY e.stream_position
     ) page ON true`,
    [[...new Set(streamIds)]],
  );
  for (const row of rows) {
    let result = results.get(row.requested);
    if (!result) {
      const currentVersion = row.version ?? 0;
      result = { events: [], currentVersion, streamExists: currentVersion > 0 };
      results.set(row.requested, result);
    }
    if (row.global_position !== null) result.events.push(toRecordedEvent<E>(row));
  }
  return results;
}

/** Which of `eventIds` (UUIDs) are stored. */
export async function eventsWithIds(sql: Sql, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await sql<{ event_id: string }>(
    `SELECT event_id::text AS event_id FROM events WHERE event_id = ANY($1::uuid[])`,
    [eventIds],
  );
  const found = new Set(rows.map((row) => row.event_id));
  // Answered in the caller's spelling of each id (a UUID's text form may differ in case).
  return new Set(eventIds.filter((id) => found.has(id.toLowerCase())));
}

export type ReadAllOptions = EventFilter & { after?: Checkpoint; limit?: number };
export type ReadAllResult<E extends AnyEvent = AnyEvent> = {
  events: RecordedEvent<E>[];
  /** Where to continue: past the last event, or past the whole visible horizon when the page is short. */
  checkpoint: Checkpoint;
};

export type ReadAllByPositionOptions = EventFilter & { afterPosition?: bigint; limit?: number };
export type ReadAllByPositionResult<E extends AnyEvent = AnyEvent> = {
  events: RecordedEvent<E>[];
  /** The global position to pass as `afterPosition` for the next page. */
  lastPosition: bigint;
};

/** Filters on events `e`, numbering parameters after `params`. */
function filterSql(filter: EventFilter, params: unknown[]): string {
  const where: string[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.types?.length) where.push(`e.type = ANY(${param(filter.types)}::text[])`);
  if (filter.streamId !== undefined) where.push(`e.stream_id = ${param(filter.streamId)}`);
  if (filter.streamIdPrefix !== undefined)
    where.push(`starts_with(e.stream_id, ${param(filter.streamIdPrefix)})`);
  if (filter.accountId !== undefined)
    where.push(`e.metadata->>'accountId' = ${param(filter.accountId)}`);
  return where.map((w) => ` AND ${w}`).join('');
}

const pageSize = (limit = 100) => (Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 100);

type GlobalRow = EventRow & { horizon: string };

/**
 * Reads in (transaction_id, global_position) order, only rows of transactions older than
 * every transaction still running (the snapshot's xmin): nothing can later appear
 * before what was returned. `start` is a CTE yielding one row (tx, pos) to read after.
 * Horizon and rows come from one statement, hence one snapshot.
 */
async function readGlobal(
  sql: Sql,
  start: string,
  params: unknown[],
  filter: EventFilter,
  limit: number,
) {
  const where = filterSql(filter, params);
  const { rows } = await sql<GlobalRow>(
    `WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
     start AS (${start})
     SELECT h.xmin::text AS horizon, page.* FROM horizon h LEFT JOIN LATERAL (
       SELECT ${eventColumns} FROM events e, start s
       WHERE e.transaction_id < h.xmin AND (e.transaction_id, e.global_position) > (s.tx, s.pos)${where}
       ORDER BY e.transaction_id, e.global_position
       LIMIT ${limit}
     ) page ON true`,
    params,
  );
  const horizon = BigInt(rows[0]?.horizon ?? '0');
  const events = rows
    .filter((row) => row.global_position !== null)
    .map((row) => toRecordedEvent(row));
  return { events, horizon };
}

export async function readAll<E extends AnyEvent>(
  sql: Sql,
  options: ReadAllOptions = {},
): Promise<ReadAllResult<E>> {
  const after = options.after ?? initialCheckpoint;
  const limit = pageSize(options.limit);
  const { events, horizon } = await readGlobal(
    sql,
    `SELECT $1::text::xid8 AS tx, $2::bigint AS pos`,
    [after.transactionId.toString(), after.position.toString()],
    options,
    limit,
  );
  const last = events[events.length - 1];
  // A short page saw everything below the horizon; transactions at or above it are still running.
  const checkpoint =
    events.length < limit
      ? maxCheckpoint(after, { transactionId: horizon, position: 0n })
      : last
        ? { transactionId: last.transactionId, position: last.globalPosition }
        : after;
  return { events: events as RecordedEvent<E>[], checkpoint };
}

/**
 * Pages by global position for the HTTP API. The position names an event; the page
 * continues after that event's (transaction, position) pair, so positions within a page
 * may be out of numeric order but no page ever gains an earlier event later.
 */
export async function readAllByPosition<E extends AnyEvent>(
  sql: Sql,
  options: ReadAllByPositionOptions = {},
): Promise<ReadAllByPositionResult<E>> {
  const afterPosition = options.afterPosition ?? 0n;
  // An unknown position falls back to the nearest visible event before it.
  const { events } = await readGlobal(
    sql,
    `SELECT coalesce(c.transaction_id, '0'::xid8) AS tx, coalesce(c.global_position, 0) AS pos
     FROM (SELECT 1) one LEFT JOIN (
       SELECT e.transaction_id, e.global_position FROM events e
       WHERE e.global_position <= $1 AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.global_position DESC LIMIT 1
     ) c ON true`,
    [afterPosition.toString()],
    options,
    pageSize(options.limit),
  );
  const last = events[events.length - 1];
  return {
    events: events as RecordedEvent<E>[],
    lastPosition: last ? last.globalPosition : afterPosition,
  };
}
