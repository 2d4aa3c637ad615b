/** Any event the store can hold: emmett-style `{ type, data }`. */
export type AnyEvent = { type: string; data: unknown };

/** What travels with an event but is not its data. */
export type EventMetadata = {
  accountId?: string;
  correlationId?: string;
  causationId?: string;
  [key: string]: unknown;
};

/** An event to append. `eventId` should be given when the event must be deduplicated. */
export type NewEvent<E extends AnyEvent = AnyEvent> = E & {
  eventId?: string;
  schemaVersion?: number;
  metadata?: EventMetadata;
};

/** A stored event. Distributive, so narrowing on `type` narrows `data`. */
export type RecordedEvent<E extends AnyEvent = AnyEvent> = E extends AnyEvent
  ? {
      eventId: string;
      streamId: string;
      /** 1-based position within its stream. */
      streamPosition: number;
      globalPosition: bigint;
      transactionId: bigint;
      type: E['type'];
      schemaVersion: number;
      data: E['data'];
      metadata: EventMetadata;
      recordedAt: Date;
    }
  : never;

/** The version a writer expects a stream to be at: 0 and 'no_stream' both mean "new stream". */
export type ExpectedVersion = number | 'no_stream' | 'any';

export type StreamAppend<E extends AnyEvent = AnyEvent> = {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent<E>[];
};

export type AppendResult = {
  streamId: string;
  /** The stream's version after the append: pass it as the next expectedVersion. */
  nextExpectedVersion: number;
  lastGlobalPosition: bigint;
  /** The appending transaction's id: with `lastGlobalPosition`, the checkpoint a reader passes once it has seen this append. */
  transactionId: bigint;
};

export type ReadStreamResult<E extends AnyEvent = AnyEvent> = {
  events: RecordedEvent<E>[];
  /** The stream's version (its last position); 0 when the stream does not exist. */
  currentVersion: number;
  streamExists: boolean;
};

export type EventFilter = {
  types?: string[];
  streamId?: string;
  streamIdPrefix?: string;
  accountId?: string;
};
