import type { DataSource, QueryRunner } from 'typeorm';
import { appendToStreams, notificationChannel, streamVersion } from './append';
import { commitRefused, settleCommit } from './commit-outcome';
import {
  CommitOutcomeUnknownError,
  DuplicateEventError,
  WrongExpectedVersionError,
} from './errors';
import {
  eventsWithIds,
  readAll,
  readAllByPosition,
  readStream,
  readStreams,
  type ReadAllByPositionOptions,
  type ReadAllByPositionResult,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
} from './read';
import { pgError, sqlOf, type Sql } from './sql';
import type {
  AnyEvent,
  AppendResult,
  ExpectedVersion,
  NewEvent,
  ReadStreamResult,
  StreamAppend,
} from './types';

export type EventStoreOptions = {
  notificationChannel?: string;
  /**
   * How long a transaction whose COMMIT got no answer (the connection failed) keeps asking the
   * database whether it committed before it gives up with CommitOutcomeUnknownError; 10 s.
   */
  commitOutcomeTimeoutMs?: number;
};

/**
 * Runs raw SQL; both the store (each statement on its own) and a transaction offer it. This is
 * the door the apps' repositories (`*.repository.ts`) take to their tables: a repository method
 * is handed the store to run alone, or a transaction to run inside the caller's work.
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** For statements without rows: the number of rows affected. */
  execute(text: string, params?: unknown[]): Promise<number>;
}

/**
 * One PostgreSQL transaction: read streams, decide, append and run the caller's own SQL
 * (inline projections, idempotency rows), all committed together.
 */
export class EventStoreTransaction implements SqlExecutor {
  /** This transaction's raw SQL: `await tx.sql('UPDATE ...', [..])` -> { rows, rowCount }. */
  readonly sql: Sql;
  private appendedIn: bigint | undefined;

  constructor(
    queryRunner: QueryRunner,
    private readonly store: PostgresEventStore,
  ) {
    this.sql = sqlOf(queryRunner);
  }

  /** The transaction's id (xid8), known once it appended: how a lost COMMIT is looked up. */
  get transactionId(): bigint | undefined {
    return this.appendedIn;
  }

  async query<Row = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.sql<Row>(text, params)).rows;
  }

  async execute(text: string, params: unknown[] = []): Promise<number> {
    return (await this.sql(text, params)).rowCount;
  }

  readStream<E extends AnyEvent = AnyEvent>(
    streamId: string,
    options?: ReadStreamOptions,
  ): Promise<ReadStreamResult<E>> {
    return readStream<E>(this.sql, streamId, options);
  }

  /** Several whole streams in one statement. */
  readStreams<E extends AnyEvent = AnyEvent>(
    streamIds: readonly string[],
  ): Promise<Map<string, ReadStreamResult<E>>> {
    return readStreams<E>(this.sql, streamIds);
  }

  /** Whether an event with this id is stored (as this transaction sees it). */
  async hasEvent(eventId: string): Promise<boolean> {
    return (await eventsWithIds(this.sql, [eventId])).size > 0;
  }

  /** Which of `eventIds` are stored (as this transaction sees them): deduplicating a batch of messages. */
  eventsWithIds(eventIds: readonly string[]): Promise<Set<string>> {
    return eventsWithIds(this.sql, eventIds);
  }

  async appendToStream<E extends AnyEvent = AnyEvent>(
    streamId: string,
    events: NewEvent<E>[],
    { expectedVersion }: { expectedVersion: ExpectedVersion },
  ): Promise<AppendResult> {
    const [result] = await this.appendToStreams<E>([{ streamId, expectedVersion, events }]);
    if (!result) throw new Error('append returned no result');
    return result;
  }

  /** Appends to several streams atomically; any conflict fails them all. */
  async appendToStreams<E extends AnyEvent = AnyEvent>(
    appends: StreamAppend<E>[],
  ): Promise<AppendResult[]> {
    try {
      const appended = await appendToStreams(this.sql, appends, this.store.channel);
      this.appendedIn ??= appended[0]?.transactionId;
      return appended;
    } catch (error) {
      throw await this.store.translateError(error, appends);
    }
  }

  /** Global read; inside a transaction that has written, the horizon is this transaction itself. */
  readAll<E extends AnyEvent = AnyEvent>(options?: ReadAllOptions): Promise<ReadAllResult<E>> {
    return readAll<E>(this.sql, options);
  }
}

/** The PostgreSQL event store over a TypeORM DataSource (migrated with `eventStoreMigrations`). */
export class PostgresEventStore implements SqlExecutor {
  readonly channel: string;
  private readonly commitOutcomeTimeoutMs: number;

  constructor(
    readonly dataSource: DataSource,
    options: EventStoreOptions = {},
  ) {
    this.channel = options.notificationChannel ?? notificationChannel;
    this.commitOutcomeTimeoutMs = options.commitOutcomeTimeoutMs ?? 10_000;
  }

  /**
   * Runs `work` in one transaction and commits. It returns once committed, throws the error
   * of a transaction that did not commit, and throws CommitOutcomeUnknownError only when the
   * connection failed while COMMIT was in flight and the database could not be asked in time
   * whether it committed (a lost answer to a COMMIT that took returns normally).
   */
  async transaction<T>(work: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let lost: { result: T; transactionId: bigint | undefined; error?: unknown } | undefined;
    try {
      await runner.connect();
      await runner.startTransaction();
      const tx = new EventStoreTransaction(runner, this);
      const result = await work(tx);
      lost = { result, transactionId: tx.transactionId }; // until COMMIT is answered
      await runner.commitTransaction();
      return result;
    } catch (error) {
      // The work's error is what the caller needs; a connection that cannot roll back is
      // broken, and releasing it below makes the pool discard it.
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (!lost || commitRefused(error)) throw error;
      lost.error = error;
    } finally {
      await runner.release();
    }
    return this.afterLostCommit(lost);
  }

  /** COMMIT was sent and its answer lost: the database says whether it took. */
  private async afterLostCommit<T>(lost: {
    result: T;
    transactionId: bigint | undefined;
    error?: unknown;
  }): Promise<T> {
    const outcome =
      lost.transactionId === undefined
        ? 'unknown' // nothing appended: nothing to look up
        : await settleCommit(this, lost.transactionId, { timeoutMs: this.commitOutcomeTimeoutMs });
    if (outcome === 'committed') return lost.result;
    if (outcome === 'aborted') throw lost.error;
    throw new CommitOutcomeUnknownError(lost.transactionId, lost.error);
  }

  /** Outside a transaction: each call takes a pooled connection for one statement series. */
  private async withSql<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await work(sqlOf(runner));
    } finally {
      await runner.release();
    }
  }

  query<Row = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> {
    return this.withSql(async (sql) => (await sql<Row>(text, params)).rows);
  }

  execute(text: string, params: unknown[] = []): Promise<number> {
    return this.withSql(async (sql) => (await sql(text, params)).rowCount);
  }

  readStream<E extends AnyEvent = AnyEvent>(
    streamId: string,
    options?: ReadStreamOptions,
  ): Promise<ReadStreamResult<E>> {
    return this.withSql((sql) => readStream<E>(sql, streamId, options));
  }

  /** Whether an event with this id is stored. */
  async hasEvent(eventId: string): Promise<boolean> {
    return (await this.eventsWithIds([eventId])).size > 0;
  }

  /** Which of `eventIds` are stored. */
  eventsWithIds(eventIds: readonly string[]): Promise<Set<string>> {
    return this.withSql((sql) => eventsWithIds(sql, eventIds));
  }

  /** Which of `streamIds` hold an event of `type` (e.g. the snapshots already deleted). */
  async streamsWithEvent(streamIds: readonly string[], type: string): Promise<Set<string>> {
    if (streamIds.length === 0) return new Set();
    const rows = await this.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1) AND type = $2`,
      [streamIds, type],
    );
    return new Set(rows.map((r) => r.stream_id));
  }

  appendToStream<E extends AnyEvent = AnyEvent>(
    streamId: string,
    events: NewEvent<E>[],
    options: { expectedVersion: ExpectedVersion },
  ): Promise<AppendResult> {
    return this.transaction((tx) => tx.appendToStream<E>(streamId, events, options));
  }

  appendToStreams<E extends AnyEvent = AnyEvent>(
    appends: StreamAppend<E>[],
  ): Promise<AppendResult[]> {
    return this.transaction((tx) => tx.appendToStreams<E>(appends));
  }

  readAll<E extends AnyEvent = AnyEvent>(options?: ReadAllOptions): Promise<ReadAllResult<E>> {
    return this.withSql((sql) => readAll<E>(sql, options));
  }

  readAllByPosition<E extends AnyEvent = AnyEvent>(
    options?: ReadAllByPositionOptions,
  ): Promise<ReadAllByPositionResult<E>> {
    return this.withSql((sql) => readAllByPosition<E>(sql, options));
  }

  /**
   * Unique violations become the typed errors. The failed transaction is unusable, so the
   * stream's actual version is read on a separate connection.
   */
  async translateError(error: unknown, appends: StreamAppend<AnyEvent>[]): Promise<unknown> {
    const pg = pgError(error);
    if (pg?.code !== '23505') return error;
    if (pg.constraint === 'events_event_id_unique') {
      return new DuplicateEventError(/\(event_id\)=\(([^)]+)\)/.exec(pg.detail ?? '')?.[1]);
    }
    if (pg.constraint === 'events_stream_position_unique' || pg.constraint === 'streams_pkey') {
      const streamId = /\(stream_id(?:, stream_position)?\)=\(([^,)]+)/.exec(pg.detail ?? '')?.[1];
      const append = appends.find((a) => a.streamId === streamId) ?? appends[0];
      if (!append) return error;
      const actual = await this.withSql((sql) => streamVersion(sql, append.streamId));
      return new WrongExpectedVersionError(append.streamId, append.expectedVersion, actual);
    }
    return error;
  }
}
