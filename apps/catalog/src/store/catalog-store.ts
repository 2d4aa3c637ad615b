import { Injectable } from '@nestjs/common';
import {
  type AccountEvent,
  type CatalogEvent,
  evolveAccount,
  evolveReplication,
  evolveSnapshot,
  evolvePolicy,
  evolveRecoveryPointObjective,
  initialAccountState,
  initialRecoveryPointObjective,
  type PolicyEvent,
  type PolicyState,
  type RecoveryPointEvent,
  type ReplicationEvent,
  type ReplicationState,
  type SnapshotEvent,
  type SnapshotState,
  streamIds,
} from '@snapferry/domain';
import {
  type Checkpoint,
  type EventStoreTransaction,
  PostgresEventStore,
  type EventMetadata,
  type SqlExecutor,
  type StreamAppend,
  WrongExpectedVersionError,
} from '@snapferry/event-store';
import { ProjectionWatermark } from '../read-models/projection-watermark';
import { replicationDeadlinesRepository } from '../deadlines/replication-deadlines.repository';
import { regionUsageRepository } from './region-usage.repository';

export interface Loaded<S> {
  state: S;
  version: number;
}

type StreamRead = { events: { type: string; data: unknown }[]; currentVersion: number };

/** What a catalog transaction needs from the event store's transaction. */
export interface StreamReader {
  readStream(streamId: string): Promise<StreamRead>;
  readStreams(streamIds: readonly string[]): Promise<Map<string, StreamRead>>;
  eventsWithIds(eventIds: readonly string[]): Promise<Set<string>>;
}

/**
 * One catalog transaction: load streams, decide, append, with inline projections applied.
 * Streams are read once and kept: what the transaction appends is part of the state it
 * loads next, so several decisions on one stream (a batch of messages) build on each other.
 */
export class CatalogTransaction {
  private readonly appends = new Map<string, StreamAppend<CatalogEvent>>();
  private readonly streams = new Map<string, StreamRead>();

  constructor(
    /** The transaction's SQL, for the repositories whose rows commit with the events. */
    readonly db: SqlExecutor,
    private readonly reader: StreamReader,
    private metadata: EventMetadata,
  ) {}

  /** Adds to the metadata of events appended from here on (e.g. the owning account, once loaded). */
  withMetadata(extra: EventMetadata): void {
    this.metadata = { ...this.metadata, ...extra };
  }

  /** Reads these streams in one statement, so the loads that follow need no round trip. */
  async preload(streamIds: readonly string[]): Promise<void> {
    const missing = streamIds.filter((id) => !this.streams.has(id));
    if (missing.length === 0) return;
    for (const [id, read] of await this.reader.readStreams(missing))
      this.streams.set(id, { events: [...read.events], currentVersion: read.currentVersion });
  }

  /** Which of these event ids are stored already (message deduplication). */
  stored(eventIds: readonly string[]): Promise<Set<string>> {
    return this.reader.eventsWithIds(eventIds);
  }

  private async stream(streamId: string): Promise<StreamRead> {
    let read = this.streams.get(streamId);
    if (!read) {
      const fresh = await this.reader.readStream(streamId);
      read = { events: [...fresh.events], currentVersion: fresh.currentVersion };
      this.streams.set(streamId, read);
    }
    return read;
  }

  private async load<S, E>(
    streamId: string,
    evolve: (s: S, e: E) => S,
    initial: S,
  ): Promise<Loaded<S>> {
    const { events, currentVersion } = await this.stream(streamId);
    return { state: events.reduce((s, e) => evolve(s, e as E), initial), version: currentVersion };
  }

  snapshot = (snapshotId: string) =>
    this.load<SnapshotState, SnapshotEvent>(streamIds.snapshot(snapshotId), evolveSnapshot, null);
  replication = (replicationId: string) =>
    this.load<ReplicationState, ReplicationEvent>(
      streamIds.replication(replicationId),
      evolveReplication,
      null,
    );
  account = (accountId: string) =>
    this.load(
      streamIds.account(accountId),
      (s, e: AccountEvent) => evolveAccount(s, e),
      initialAccountState(),
    );

  policy = (policyId: string) =>
    this.load<PolicyState, PolicyEvent>(streamIds.policy(policyId), evolvePolicy, null);
  recoveryPoint = (policyId: string, diskId: string, region: string) =>
    this.load(
      streamIds.recoveryPoint(policyId, diskId, region),
      (s, e: RecoveryPointEvent) => evolveRecoveryPointObjective(s, e),
      initialRecoveryPointObjective(),
    );

  /**
   * Queues events for a stream at the version they were decided against; written on commit.
   * A second append to the same stream continues the first (its version includes the first's events).
   * `'any'` appends without a version check, for events that depend on nothing in the stream
   * (a policy's refusals: the stream is not even read).
   */
  append(
    streamId: string,
    expectedVersion: number | 'any',
    events: CatalogEvent[],
    extra: { eventId?: string; metadata?: EventMetadata } = {},
  ): void {
    if (events.length === 0) return;
    const metadata = extra.metadata ? { ...this.metadata, ...extra.metadata } : this.metadata;
    const newEvents = events.map((e, i) => ({
      ...e,
      metadata,
      ...(i === 0 && extra.eventId ? { eventId: extra.eventId } : {}),
    }));
    const pending = this.appends.get(streamId);
    if (pending) pending.events.push(...newEvents);
    else
      this.appends.set(streamId, {
        streamId,
        expectedVersion:
          expectedVersion === 'any' ? 'any' : expectedVersion === 0 ? 'no_stream' : expectedVersion,
        events: newEvents,
      });
    const read = this.streams.get(streamId);
    if (expectedVersion === 'any') {
      if (read) {
        read.events.push(...events);
        read.currentVersion += events.length;
      }
      return;
    }
    const known = read ?? { events: [], currentVersion: expectedVersion };
    known.events.push(...events);
    known.currentVersion = expectedVersion + events.length;
    this.streams.set(streamId, known);
  }

  pending(): StreamAppend<CatalogEvent>[] {
    return [...this.appends.values()];
  }
}

/**
 * The catalog's write side: runs a function against streams in one PostgreSQL transaction,
 * appends what it decided, keeps the inline quota counts, and retries once on a concurrent
 * writer (the decision is re-made against the new state).
 */
@Injectable()
export class CatalogStore {
  constructor(
    readonly eventStore: PostgresEventStore,
    private readonly projections: ProjectionWatermark,
  ) {}

  /** A snapshot's state read outside a transaction (for checks before long work such as an upload). */
  async snapshotState(snapshotId: string): Promise<SnapshotState> {
    const { events } = await this.eventStore.readStream<SnapshotEvent>(
      streamIds.snapshot(snapshotId),
    );
    return events.reduce<SnapshotState>((state, event) => evolveSnapshot(state, event), null);
  }

  /**
   * Runs `work` as a catalog transaction inside an event store transaction someone else holds
   * (a subscription's batch: its decisions commit with its checkpoint), then appends what it
   * decided and keeps the quota counts. No retry: the owner of the transaction retries.
   */
  static async within<T>(
    etx: EventStoreTransaction,
    metadata: EventMetadata,
    work: (tx: CatalogTransaction) => Promise<T>,
  ): Promise<{ result: T; written?: Checkpoint }> {
    const tx = new CatalogTransaction(etx, etx, metadata);
    const result = await work(tx);
    const appends = tx.pending();
    if (appends.length === 0) return { result };
    const appended = await etx.appendToStreams(appends);
    const events = appends.flatMap((a) => a.events);
    await regionUsageRepository.apply(etx, events);
    await replicationDeadlinesRepository.apply(etx, events);
    const position = appended.reduce(
      (max, a) => (a.lastGlobalPosition > max ? a.lastGlobalPosition : max),
      0n,
    );
    return { result, written: { transactionId: appended[0]!.transactionId, position } };
  }

  /**
   * `readYourWrites` (the default, for API calls) answers only once the status views show
   * what was written; message consumers, whom no caller reads after, skip that wait.
   */
  async transaction<T>(
    metadata: EventMetadata,
    work: (tx: CatalogTransaction) => Promise<T>,
    { readYourWrites = true, attempts = 5 }: { readYourWrites?: boolean; attempts?: number } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        let written: Checkpoint | undefined;
        const result = await this.eventStore.transaction(async (etx) => {
          const outcome = await CatalogStore.within(etx, metadata, work);
          written = outcome.written;
          return outcome.result;
        });
        // Read your writes: answer once the status views show what was just written.
        if (written && readYourWrites) await this.projections.reached(written);
        return result;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < attempts) continue;
        throw error;
      }
    }
  }
}
