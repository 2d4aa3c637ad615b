import type { AnyEvent, EventMetadata, RecordedEvent } from './types';

/** Columns every read selects; int8 and xid8 come back as text, to become bigint. */
export const eventColumns = `e.global_position::text AS global_position, e.transaction_id::text AS transaction_id,
  e.stream_id, e.stream_position, e.event_id::text AS event_id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at`;

export type EventRow = {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
};

export const toRecordedEvent = <E extends AnyEvent>(row: EventRow): RecordedEvent<E> =>
  ({
    eventId: row.event_id,
    streamId: row.stream_id,
    streamPosition: row.stream_position,
    globalPosition: BigInt(row.global_position),
    transactionId: BigInt(row.transaction_id),
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  }) as RecordedEvent<E>;
