import { randomUUID } from 'node:crypto';
import { WrongExpectedVersionError } from './errors';
import type { Sql } from './sql';
import type { AnyEvent, AppendResult, ExpectedVersion, StreamAppend } from './types';

export const notificationChannel = 'snapferry_events';

/** Moves the stream's version row; the row lock makes concurrent writers queue, then fail the check. */
async function claimPositions(
  sql: Sql,
  streamId: string,
  expected: ExpectedVersion,
  count: number,
): Promise<number> {
  let rows: { version: number }[];
  if (expected === 'any') {
    ({ rows } = await sql<{ version: number }>(
      `INSERT INTO streams (stream_id, version) VALUES ($1, $2)
       ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + EXCLUDED.version
       RETURNING version`,
      [streamId, count],
    ));
  } else if (expected === 'no_stream' || expected === 0) {
    ({ rows } = await sql<{ version: number }>(
      `INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) DO NOTHING RETURNING version`,
      [streamId, count],
    ));
  } else {
    ({ rows } = await sql<{ version: number }>(
      `UPDATE streams SET version = version + $2 WHERE stream_id = $1 AND version = $3 RETURNING version`,
      [streamId, count, expected],
    ));
  }
  const claimed = rows[0];
  if (claimed) return claimed.version;
  throw new WrongExpectedVersionError(streamId, expected, await streamVersion(sql, streamId));
}

export async function streamVersion(sql: Sql, streamId: string): Promise<number> {
  const { rows } = await sql<{ version: number }>(
    `SELECT version FROM streams WHERE stream_id = $1`,
    [streamId],
  );
  return rows[0]?.version ?? 0;
}

/**
 * Appends to several streams atomically (the caller's transaction). Stream rows are
 * locked in id order so two multi-stream writers cannot deadlock; events are inserted
 * in the caller's order, so global positions follow it.
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

  const firstPosition = new Map<string, number>();
  for (const append of [...appends].sort((a, b) =>
    a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0,
  )) {
    const version = await claimPositions(
      sql,
      append.streamId,
      append.expectedVersion,
      append.events.length,
    );
    firstPosition.set(append.streamId, version - append.events.length + 1);
  }

  const params: unknown[] = [];
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
        `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}::jsonb, $${n + 7}::jsonb)`,
      );
    });
  }
  // One statement inserts the events and announces them (pg_notify is delivered on commit only).
  const channelParam = params.push(channel);
  const { rows } = await sql<{
    stream_id: string;
    stream_position: number;
    global_position: string;
    transaction_id: string;
  }>(
    `WITH inserted AS (
       INSERT INTO events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       VALUES ${values.join(', ')}
       RETURNING stream_id, stream_position, global_position, transaction_id
     ), announced AS (
       SELECT pg_notify($${channelParam}, json_build_object(
         'lastGlobalPosition', max(global_position)::text,
         'streamIds', CASE WHEN count(DISTINCT stream_id) <= 50 THEN json_agg(DISTINCT stream_id) ELSE '[]'::json END
       )::text) FROM inserted
     )
     SELECT i.stream_id, i.stream_position, i.global_position::text AS global_position,
            i.transaction_id::text AS transaction_id
     FROM inserted i, announced`,
    params,
  );

  const results = appends.map((append): AppendResult => {
    const mine = rows.filter((row) => row.stream_id === append.streamId);
    const positions = mine.map((row) => BigInt(row.global_position));
    return {
      streamId: append.streamId,
      nextExpectedVersion: Math.max(...mine.map((row) => row.stream_position)),
      lastGlobalPosition: positions.reduce((a, b) => (a > b ? a : b)),
      transactionId: BigInt(mine[0]!.transaction_id),
    };
  });
  return results;
}
