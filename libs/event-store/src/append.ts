import { randomUUID } from 'node:crypto';
import { WrongExpectedVersionError } from './errors';
import type { Sql } from './sql';
import type { AnyEvent, AppendResult, ExpectedVersion, StreamAppend } from './types';

export const notificationChannel = 'snapferry_events';

export async function streamVersion(sql: Sql, streamId: string): Promise<number> {
  const { rows } = await sql<{ version: number }>(
    `SELECT version FROM streams WHERE stream_id = $1`,
    [streamId],
  );
  return rows[0]?.version ?? 0;
}

/** Locks the rows of existing streams in id order (no deadlock between multi-stream writers) and reads their versions. */
async function lockVersions(sql: Sql, streamIds: string[]): Promise<Map<string, number>> {
  if (streamIds.length === 0) return new Map();
  const { rows } = await sql<{ stream_id: string; version: number }>(
    `SELECT stream_id, version FROM streams WHERE stream_id = ANY($1) ORDER BY stream_id FOR UPDATE`,
    [streamIds],
  );
  return new Map(rows.map((r) => [r.stream_id, r.version]));
}

const isNew = (expected: ExpectedVersion) => expected === 'no_stream' || expected === 0;

/** What an append does to the streams table: versions moved, streams created, each stream's first new position. */
export interface AppendPlan {
  moved: { streamId: string; from: number; to: number }[];
  created: { streamId: string; version: number }[];
  firstPosition: Map<string, number>;
}

/**
 * Decides each stream's part of an append from its expected version and, where the rows were
 * locked, their current versions (pure): a new stream is created at its event count; an
 * existing one moves from its version, checked here when locked and by the update otherwise.
 */
export function planAppends(
  appends: readonly StreamAppend<AnyEvent>[],
  locked: Map<string, number> | undefined,
): AppendPlan {
  const plan: AppendPlan = { moved: [], created: [], firstPosition: new Map() };
  for (const append of appends) {
    const count = append.events.length;
    const expected = append.expectedVersion;
    let base: number;
    if (isNew(expected)) {
      base = 0;
      plan.created.push({ streamId: append.streamId, version: count });
    } else {
      const current = locked?.get(append.streamId);
      if (expected === 'any') base = current ?? 0;
      else if (locked && current !== expected)
        throw new WrongExpectedVersionError(append.streamId, expected, current ?? 0);
      else base = expected;
      if (expected === 'any' && current === undefined)
        plan.created.push({ streamId: append.streamId, version: count });
      else plan.moved.push({ streamId: append.streamId, from: base, to: base + count });
    }
    plan.firstPosition.set(append.streamId, base + 1);
  }
  return plan;
}

/** The events as rows of a VALUES list, in the caller's order, their parameters appended to `params`. */
function eventValues(
  appends: readonly StreamAppend<AnyEvent>[],
  firstPosition: Map<string, number>,
  params: unknown[],
): string[] {
  const values: string[] = [];
  for (const append of appends) {
    const first = firstPosition.get(append.streamId) ?? 1;
    append.events.forEach((event, index) => {
      const n = params.length;
      params.push(
        append.streamId,
        first + index,
        event.eventId ?? randomUUID(),
        event.type,
        event.schemaVersion ?? 1,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata ?? {}),
      );
      values.push(
        `($${n + 1}::text, $${n + 2}::int, $${n + 3}::uuid, $${n + 4}::text, $${n + 5}::int, $${n + 6}::jsonb, $${n + 7}::jsonb)`,
      );
    });
  }
  return values;
}

/**
 * The one statement of an append ($1–$5 the plan's arrays, $6 the channel). The events are
 * inserted only once every existing stream has moved (the InitPlan on `moved` runs first): a
 * writer never holds an event position while it waits for a stream's row, which two writers
 * of one stream would otherwise deadlock on. A new stream that exists already collides on its
 * first event position (events_stream_position_unique), which the store translates.
 * pg_notify is delivered on commit only.
 */
const appendStatement = (values: string[], movedCount: number) =>
  `WITH moved AS (
     UPDATE streams s SET version = m.version_to
     FROM unnest($1::text[], $2::int[], $3::int[]) AS m(stream_id, version_from, version_to)
     WHERE s.stream_id = m.stream_id AND s.version = m.version_from
     RETURNING s.stream_id
   ), created AS (
     INSERT INTO streams (stream_id, version) SELECT * FROM unnest($4::text[], $5::int[])
     ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id
   ), inserted AS (
     INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
     SELECT * FROM (VALUES ${values.join(', ')}) AS v
     WHERE (SELECT count(*) FROM moved) = ${movedCount}
     RETURNING stream_id, stream_position, global_position, transaction_id
   ), announced AS (
     SELECT pg_notify($6, json_build_object(
       'lastGlobalPosition', max(global_position)::text,
       'streamIds', CASE WHEN count(DISTINCT stream_id) <= 50 THEN json_agg(DISTINCT stream_id) ELSE '[]'::json END
     )::text) FROM inserted
   )
   SELECT i.stream_id, i.stream_position, i.global_position::text AS global_position,
          i.transaction_id::text AS transaction_id,
          (SELECT count(*) FROM moved)::text AS moved
   FROM inserted i, announced`;

interface InsertedRow {
  stream_id: string;
  stream_position: number;
  global_position: string;
  transaction_id: string;
  moved: string;
}

/** A stream moved since the decision (or is missing), so nothing was inserted: names it. */
async function staleStream(
  sql: Sql,
  appends: readonly StreamAppend<AnyEvent>[],
  moved: AppendPlan['moved'],
): Promise<WrongExpectedVersionError> {
  const versions = await lockVersions(
    sql,
    moved.map((m) => m.streamId),
  );
  const stale = moved.find((m) => versions.get(m.streamId) !== m.from) ?? moved[0]!;
  const expected = appends.find((a) => a.streamId === stale.streamId)!.expectedVersion;
  return new WrongExpectedVersionError(stale.streamId, expected, versions.get(stale.streamId) ?? 0);
}

/** Each stream's result from the inserted rows. */
const resultsOf = (appends: readonly StreamAppend<AnyEvent>[], rows: InsertedRow[]) =>
  appends.map((append): AppendResult => {
    const mine = rows.filter((row) => row.stream_id === append.streamId);
    const positions = mine.map((row) => BigInt(row.global_position));
    return {
      streamId: append.streamId,
      nextExpectedVersion: Math.max(...mine.map((row) => row.stream_position)),
      lastGlobalPosition: positions.reduce((a, b) => (a > b ? a : b)),
      transactionId: BigInt(mine[0]!.transaction_id),
    };
  });

/**
 * Appends to several streams atomically (the caller's transaction) in at most two
 * statements, however many streams: the existing streams' rows are locked in id order
 * (skipped when there is only one, whose update locks it), then one statement moves their
 * versions, creates the new streams, inserts the events in the caller's order (so global
 * positions follow it) and announces them. A stream that moved meanwhile fails the append
 * with WrongExpectedVersionError; a "new" stream that exists fails on its first position.
 */
export async function appendToStreams<E extends AnyEvent>(
  sql: Sql,
  appends: StreamAppend<E>[],
  channel = notificationChannel,
): Promise<AppendResult[]> {
  const ids = appends.map((a) => a.streamId);
  if (new Set(ids).size !== ids.length)
    throw new Error('appendToStreams: each stream may appear only once');
  if (appends.some((a) => a.events.length === 0))
    throw new Error('appendToStreams: nothing to append to a stream');

  const existing = appends.filter((a) => !isNew(a.expectedVersion));
  // One existing stream: its conditional update takes the lock. Several: lock in id order first.
  const locked =
    existing.length > 1 || existing.some((a) => a.expectedVersion === 'any')
      ? await lockVersions(
          sql,
          existing.map((a) => a.streamId),
        )
      : undefined;
  const { moved, created, firstPosition } = planAppends(appends, locked);

  const params: unknown[] = [
    moved.map((m) => m.streamId),
    moved.map((m) => m.from),
    moved.map((m) => m.to),
    created.map((c) => c.streamId),
    created.map((c) => c.version),
    channel,
  ];
  const values = eventValues(appends, firstPosition, params);
  const { rows } = await sql<InsertedRow>(appendStatement(values, moved.length), params);
  if (Number(rows[0]?.moved ?? 0) !== moved.length) throw await staleStream(sql, appends, moved);
  return resultsOf(appends, rows);
}
