import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase, waitFor, type TestDatabase } from '@snapferry/testing';
import {
  createEventStoreDataSource,
  DuplicateEventError,
  PostgresEventStore,
  WrongExpectedVersionError,
  type Checkpoint,
  type RecordedEvent,
} from './index';

type Registered = {
  type: 'SnapshotRegistered';
  data: { snapshotId: string; registeredAt: string };
};
type Copied = { type: 'SnapshotCopied'; data: { snapshotId: string; bytes: number } };
type TestEvent = Registered | Copied;

const registered = (snapshotId: string): Registered => ({
  type: 'SnapshotRegistered',
  data: { snapshotId, registeredAt: '2024-01-01T00:00:00Z' },
});
const copied = (snapshotId: string, bytes = 1): Copied => ({
  type: 'SnapshotCopied',
  data: { snapshotId, bytes },
});

// Global reads only see transactions older than every one still running in the whole
// server, so other suites' transactions can hold them back for a moment: tests wait.
jest.setTimeout(60_000);

let db: TestDatabase;
let dataSource: DataSource;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('sf_es');
  dataSource = createEventStoreDataSource(db.url);
  await dataSource.initialize();
  store = new PostgresEventStore(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

const stream = () => `snapshot-${randomUUID()}`;

/** A raw connection that can hold a transaction open while the store works. */
async function connect(): Promise<Client> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  return client;
}

/** Appends through the store's own transaction API, on the given open client. */
async function rawAppend(client: Client, streamId: string, eventId: string): Promise<bigint> {
  await client.query(`INSERT INTO streams (stream_id, version) VALUES ($1, 1)`, [streamId]);
  const { rows } = await client.query<{ global_position: string }>(
    `INSERT INTO events (stream_id, stream_position, event_id, type, data) VALUES ($1, 1, $2, 'SnapshotCopied', '{}')
     RETURNING global_position::text AS global_position`,
    [streamId, eventId],
  );
  return BigInt(rows[0]!.global_position);
}

describe('appending and reading a stream', () => {
  it('reads back what was appended, in order, with positions and metadata', async () => {
    const id = stream();
    const first = await store.appendToStream<TestEvent>(id, [registered(id)], {
      expectedVersion: 'no_stream',
    });
    const second = await store.appendToStream<TestEvent>(
      id,
      [
        {
          ...copied(id, 5),
          metadata: { accountId: 'acc-1', correlationId: 'c-1' },
          schemaVersion: 2,
        },
      ],
      { expectedVersion: first.nextExpectedVersion },
    );

    const { events, currentVersion, streamExists } = await store.readStream<TestEvent>(id);

    expect(first.nextExpectedVersion).toBe(1);
    expect(second.nextExpectedVersion).toBe(2);
    expect(second.lastGlobalPosition).toBeGreaterThan(first.lastGlobalPosition);
    expect(streamExists).toBe(true);
    expect(currentVersion).toBe(2);
    expect(events.map((e) => [e.type, e.streamPosition])).toEqual([
      ['SnapshotRegistered', 1],
      ['SnapshotCopied', 2],
    ]);
    const last = events[1]!;
    expect(typeof last.globalPosition).toBe('bigint');
    expect(typeof last.transactionId).toBe('bigint');
    expect(last.globalPosition).toBe(second.lastGlobalPosition);
    expect(last.schemaVersion).toBe(2);
    expect(last.metadata).toEqual({ accountId: 'acc-1', correlationId: 'c-1' });
    expect(last.recordedAt).toBeInstanceOf(Date);
    if (last.type === 'SnapshotCopied') expect(last.data.bytes).toBe(5);
    else throw new Error('expected SnapshotCopied');
  });

  it('reports a missing stream as version 0', async () => {
    expect(await store.readStream(stream())).toEqual({
      events: [],
      currentVersion: 0,
      streamExists: false,
    });
  });

  it('appends with "any" whatever the version', async () => {
    const id = stream();
    await store.appendToStream(id, [registered(id)], { expectedVersion: 'any' });
    const result = await store.appendToStream(id, [copied(id), copied(id)], {
      expectedVersion: 'any',
    });
    expect(result.nextExpectedVersion).toBe(3);
  });
});

describe('optimistic concurrency', () => {
  it('refuses a stale expected version with the actual one', async () => {
    const id = stream();
    await store.appendToStream(id, [registered(id), copied(id)], { expectedVersion: 'no_stream' });

    const stale = store.appendToStream(id, [copied(id)], { expectedVersion: 1 });
    await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(stale).rejects.toMatchObject({ streamId: id, expected: 1, actual: 2 });
    await expect(
      store.appendToStream(id, [copied(id)], { expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({
      expected: 'no_stream',
      actual: 2,
    });
    await expect(
      store.appendToStream(stream(), [copied(id)], { expectedVersion: 3 }),
    ).rejects.toMatchObject({ actual: 0 });
    expect((await store.readStream(id)).currentVersion).toBe(2);
  });

  it.each([['no_stream' as const], [1]])(
    'lets exactly one of many concurrent appends at %p win',
    async (expected) => {
      const id = stream();
      if (expected === 1)
        await store.appendToStream(id, [registered(id)], { expectedVersion: 'no_stream' });

      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          store.appendToStream(id, [copied(id)], { expectedVersion: expected }),
        ),
      );

      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failures).toHaveLength(7);
      for (const failure of failures)
        expect(failure.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.readStream(id)).events).toHaveLength(expected === 1 ? 2 : 1);
    },
  );

  it('never deadlocks writers that move one stream and create others (as copy requests do)', async () => {
    for (let round = 0; round < 20; round++) {
      const [source, other] = [stream(), stream()];
      await store.appendToStream(source, [registered(source)], { expectedVersion: 'no_stream' });
      await store.appendToStream(other, [registered(other)], { expectedVersion: 'no_stream' });
      const copyRequest = () => {
        const [replication, target] = [stream(), stream()];
        return store.appendToStreams<TestEvent>([
          { streamId: source, expectedVersion: 1, events: [copied(source)] },
          {
            streamId: replication,
            expectedVersion: 'no_stream',
            events: [registered(replication)],
          },
          { streamId: target, expectedVersion: 'no_stream', events: [registered(target)] },
        ]);
      };
      // Progress ingestion moves several existing streams (locked first, in id order).
      const progress = () =>
        store.appendToStreams<TestEvent>([
          { streamId: other, expectedVersion: 1, events: [copied(other)] },
          { streamId: source, expectedVersion: 1, events: [copied(source)] },
        ]);
      const outcomes = await Promise.allSettled([
        copyRequest(),
        progress(),
        copyRequest(),
        progress(),
        copyRequest(),
      ]);
      const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      for (const failure of failures)
        expect(failure.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(failures).toHaveLength(4);
    }
  });

  it('maps a unique violation on stream position (a writer bypassing streams) to the typed error', async () => {
    const id = stream();
    await store.appendToStream(id, [registered(id)], { expectedVersion: 'no_stream' });
    await dataSource.query(`DELETE FROM streams WHERE stream_id = $1`, [id]);

    const error: unknown = await store
      .appendToStream(id, [copied(id)], { expectedVersion: 'no_stream' })
      .catch((e) => e);

    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamId: id, expected: 'no_stream' });
  });
});

describe('duplicate events', () => {
  it('refuses an event id that is already stored, and stores nothing of that append', async () => {
    const id = stream();
    const eventId = randomUUID();
    await store.appendToStream(id, [{ ...registered(id), eventId }], {
      expectedVersion: 'no_stream',
    });

    const other = stream();
    const error: unknown = await store
      .appendToStream(other, [copied(other), { ...copied(other), eventId }], {
        expectedVersion: 'no_stream',
      })
      .catch((e) => e);

    expect(error).toBeInstanceOf(DuplicateEventError);
    expect(error).toMatchObject({ eventId });
    expect(await store.readStream(other)).toMatchObject({ events: [], streamExists: false });
  });

  it('says which event ids are stored, in and outside a transaction', async () => {
    const id = stream();
    const stored = randomUUID();
    const missing = randomUUID();
    await store.appendToStream(id, [{ ...registered(id), eventId: stored }], {
      expectedVersion: 'no_stream',
    });

    expect(await store.hasEvent(stored)).toBe(true);
    expect(await store.hasEvent(missing)).toBe(false);
    expect(await store.eventsWithIds([stored, missing])).toEqual(new Set([stored]));
    expect(await store.eventsWithIds([])).toEqual(new Set());
    const uncommitted = randomUUID();
    await store.transaction(async (tx) => {
      await tx.appendToStream(id, [{ ...copied(id), eventId: uncommitted }], {
        expectedVersion: 1,
      });
      expect(await tx.hasEvent(uncommitted)).toBe(true); // its own write
      expect(await tx.eventsWithIds([stored, uncommitted, missing])).toEqual(
        new Set([stored, uncommitted]),
      );
      expect(await store.hasEvent(uncommitted)).toBe(false); // not committed yet
    });
    expect(await store.hasEvent(uncommitted)).toBe(true);
  });
});

describe('multi-stream append', () => {
  it('appends to several streams in one transaction, positions in the order given', async () => {
    const [source, replication, target] = [stream(), `replication-${randomUUID()}`, stream()];
    const results = await store.appendToStreams<TestEvent>([
      { streamId: source, expectedVersion: 'no_stream', events: [registered(source)] },
      {
        streamId: replication,
        expectedVersion: 'no_stream',
        events: [copied(replication), copied(replication)],
      },
      { streamId: target, expectedVersion: 'no_stream', events: [registered(target)] },
    ]);

    expect(results.map((r) => [r.streamId, r.nextExpectedVersion])).toEqual([
      [source, 1],
      [replication, 2],
      [target, 1],
    ]);
    const last = results.map((r) => r.lastGlobalPosition);
    expect(last[0]! < last[1]! && last[1]! < last[2]!).toBe(true);
    const [a, b] = await Promise.all([store.readStream(source), store.readStream(target)]);
    expect(a.events[0]!.transactionId).toBe(b.events[0]!.transactionId);
  });

  it('rolls back every stream when one conflicts', async () => {
    const [source, target] = [stream(), stream()];
    await store.appendToStream(target, [registered(target)], { expectedVersion: 'no_stream' });

    const attempt = store.appendToStreams<TestEvent>([
      { streamId: source, expectedVersion: 'no_stream', events: [registered(source)] },
      { streamId: target, expectedVersion: 'no_stream', events: [copied(target)] },
    ]);

    await expect(attempt).rejects.toMatchObject({
      name: 'WrongExpectedVersionError',
      streamId: target,
      actual: 1,
    });
    expect(await store.readStream(source)).toMatchObject({ events: [], streamExists: false });
    expect((await store.readStream(target)).currentVersion).toBe(1);
  });

  it('fails the whole append when one of several existing streams moved, naming it', async () => {
    const [a, b, fresh] = [stream(), stream(), stream()];
    await store.appendToStream(a, [registered(a)], { expectedVersion: 'no_stream' });
    await store.appendToStream(b, [registered(b)], { expectedVersion: 'no_stream' });
    await store.appendToStream(b, [copied(b)], { expectedVersion: 1 }); // b moved to 2

    const attempt = store.appendToStreams<TestEvent>([
      { streamId: a, expectedVersion: 1, events: [copied(a)] },
      { streamId: b, expectedVersion: 1, events: [copied(b)] },
      { streamId: fresh, expectedVersion: 'no_stream', events: [registered(fresh)] },
    ]);

    await expect(attempt).rejects.toMatchObject({
      name: 'WrongExpectedVersionError',
      streamId: b,
      actual: 2,
    });
    expect((await store.readStream(a)).currentVersion).toBe(1);
    expect(await store.readStream(fresh)).toMatchObject({ events: [], streamExists: false });
  });

  it('moves several existing streams and creates new ones in one append', async () => {
    const [a, b, fresh] = [stream(), stream(), stream()];
    await store.appendToStream(a, [registered(a)], { expectedVersion: 'no_stream' });
    await store.appendToStream(b, [registered(b), copied(b)], { expectedVersion: 'no_stream' });

    const results = await store.appendToStreams<TestEvent>([
      { streamId: b, expectedVersion: 2, events: [copied(b)] },
      { streamId: fresh, expectedVersion: 'no_stream', events: [registered(fresh)] },
      { streamId: a, expectedVersion: 1, events: [copied(a), copied(a)] },
    ]);

    expect(results.map((r) => r.nextExpectedVersion)).toEqual([3, 1, 3]);
    const [ra, rb, rf] = await Promise.all([a, b, fresh].map((id) => store.readStream(id)));
    expect(ra!.events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
    expect(rb!.events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
    expect(rf!.currentVersion).toBe(1);
  });
});

describe('transactions', () => {
  beforeAll(async () => {
    await dataSource.query(`CREATE TABLE handled_messages (message_id uuid PRIMARY KEY)`);
  });

  it('commits reads, appends and the caller own SQL together', async () => {
    const id = stream();
    const messageId = randomUUID();
    await store.transaction(async (tx) => {
      const { currentVersion } = await tx.readStream(id);
      await tx.appendToStream(id, [registered(id)], { expectedVersion: currentVersion });
      await tx.query(`INSERT INTO handled_messages (message_id) VALUES ($1)`, [messageId]);
    });

    expect((await store.readStream(id)).currentVersion).toBe(1);
    expect(
      await store.query(`SELECT 1 FROM handled_messages WHERE message_id = $1`, [messageId]),
    ).toHaveLength(1);
  });

  it('rolls everything back when the work throws', async () => {
    const id = stream();
    const messageId = randomUUID();
    await expect(
      store.transaction(async (tx) => {
        await tx.appendToStream(id, [registered(id)], { expectedVersion: 'no_stream' });
        await tx.execute(`INSERT INTO handled_messages (message_id) VALUES ($1)`, [messageId]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');

    expect((await store.readStream(id)).streamExists).toBe(false);
    expect(
      await store.query(`SELECT 1 FROM handled_messages WHERE message_id = $1`, [messageId]),
    ).toHaveLength(0);
  });
});

describe('reading the global log', () => {
  /** Every event after `after`, read to the end of what is visible. */
  async function readRest(after: Checkpoint, streamIdPrefix: string) {
    const events: RecordedEvent[] = [];
    let checkpoint = after;
    for (;;) {
      const page = await store.readAll({ after: checkpoint, limit: 2, streamIdPrefix });
      events.push(...page.events);
      checkpoint = page.checkpoint;
      if (page.events.length < 2) return { events, checkpoint };
    }
  }

  it('reads all events in commit-safe order, paged, filtered by type, prefix and account', async () => {
    const prefix = `log-${randomUUID()}-`;
    await store.appendToStream(
      `${prefix}1`,
      [registered('1'), { ...copied('1'), metadata: { accountId: 'acc-a' } }],
      {
        expectedVersion: 'no_stream',
      },
    );
    await store.appendToStream(
      `${prefix}2`,
      [registered('2'), { ...copied('2'), metadata: { accountId: 'acc-b' } }],
      {
        expectedVersion: 'no_stream',
      },
    );

    const { events } = await waitFor(async () => {
      const all = await readRest({ transactionId: 0n, position: 0n }, prefix);
      return all.events.length === 4 && all;
    });
    const copies = await store.readAll({ streamIdPrefix: prefix, types: ['SnapshotCopied'] });
    const ofAccount = await store.readAll({ streamIdPrefix: prefix, accountId: 'acc-b' });

    expect(events.map((e) => `${e.streamId.slice(prefix.length)}:${e.type}`)).toEqual([
      '1:SnapshotRegistered',
      '1:SnapshotCopied',
      '2:SnapshotRegistered',
      '2:SnapshotCopied',
    ]);
    expect(copies.events.map((e) => e.streamId)).toEqual([`${prefix}1`, `${prefix}2`]);
    expect(ofAccount.events.map((e) => e.metadata.accountId)).toEqual(['acc-b']);
  });

  it('pages by global position for the API', async () => {
    const prefix = `page-${randomUUID()}-`;
    for (const n of [1, 2, 3])
      await store.appendToStream(`${prefix}${n}`, [registered(`${n}`)], {
        expectedVersion: 'no_stream',
      });

    const first = await waitFor(async () => {
      const page = await store.readAllByPosition({ streamIdPrefix: prefix, limit: 2 });
      return page.events.length === 2 && page;
    });
    const second = await store.readAllByPosition({
      streamIdPrefix: prefix,
      limit: 2,
      afterPosition: first.lastPosition,
    });
    const empty = await store.readAllByPosition({
      streamIdPrefix: prefix,
      limit: 2,
      afterPosition: second.lastPosition,
    });

    expect([...first.events, ...second.events].map((e) => e.streamId)).toEqual(
      [1, 2, 3].map((n) => `${prefix}${n}`),
    );
    expect(first.lastPosition).toBe(first.events[1]!.globalPosition);
    expect(empty).toEqual({ events: [], lastPosition: second.lastPosition });
  });

  /**
   * A appends first (lower position) but commits after B. A position-only cursor that
   * read B has moved past A's position and never sees A; the (xid, position) checkpoint
   * holds B back until A commits, then returns A before B.
   */
  it('never skips an event whose transaction commits after a later one (late commit)', async () => {
    const prefix = `late-${randomUUID()}-`;
    const start = await readRest({ transactionId: 0n, position: 0n }, prefix);
    const [a, b] = [await connect(), await connect()];
    try {
      await a.query('BEGIN');
      const positionA = await rawAppend(a, `${prefix}a`, randomUUID());
      await b.query('BEGIN');
      const positionB = await rawAppend(b, `${prefix}b`, randomUUID());
      await b.query('COMMIT');
      expect(positionA < positionB).toBe(true);

      // The naive cursor: everything committed above the last position seen.
      const naive = async (after: bigint) =>
        (
          await dataSource.query<{ stream_id: string; global_position: string }[]>(
            `SELECT stream_id, global_position::text AS global_position FROM events
             WHERE global_position > $1 AND starts_with(stream_id, $2) ORDER BY global_position`,
            [after.toString(), prefix],
          )
        ).map((r) => ({ streamId: r.stream_id, position: BigInt(r.global_position) }));
      const naiveFirst = await naive(0n);
      expect(naiveFirst.map((e) => e.streamId)).toEqual([`${prefix}b`]);

      const whileAOpen = await readRest(start.checkpoint, prefix);
      expect(whileAOpen.events).toEqual([]);
      const pagedWhileAOpen = await store.readAllByPosition({ streamIdPrefix: prefix });
      expect(pagedWhileAOpen.events).toEqual([]);

      await a.query('COMMIT');

      expect(await naive(naiveFirst[0]!.position)).toEqual([]); // A is lost to the naive reader
      // Each read may stop at the horizon, but none may return B without A before it.
      const reads: string[][] = [];
      await waitFor(async () => {
        const read = await readRest(whileAOpen.checkpoint, prefix);
        reads.push(read.events.map((e) => e.streamId));
        return read.events.length === 2;
      });
      for (const read of reads)
        expect([[], [`${prefix}a`], [`${prefix}a`, `${prefix}b`]]).toContainEqual(read);
      expect(reads.at(-1)).toEqual([`${prefix}a`, `${prefix}b`]);
      const paged = await waitFor(async () => {
        const page = await store.readAllByPosition({ streamIdPrefix: prefix });
        return page.events.length === 2 && page;
      });
      expect(paged.events.map((e) => e.globalPosition)).toEqual([positionA, positionB]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  /**
   * Positions are not in transaction order either: B takes its transaction id first,
   * A then appends (lower position) and stays open, B appends and commits. B is
   * readable while A runs; a page after B's position must still yield A later.
   */
  it('pages by position without losing an event with a lower position committed later', async () => {
    const prefix = `inv-${randomUUID()}-`;
    const [a, b] = [await connect(), await connect()];
    try {
      await b.query('BEGIN');
      await b.query('SELECT pg_current_xact_id()');
      await a.query('BEGIN');
      const positionA = await rawAppend(a, `${prefix}a`, randomUUID());
      const positionB = await rawAppend(b, `${prefix}b`, randomUUID());
      await b.query('COMMIT');
      expect(positionA < positionB).toBe(true);

      const first = await waitFor(async () => {
        const page = await store.readAllByPosition({ streamIdPrefix: prefix });
        return page.events.length > 0 && page;
      });
      expect(first.events.map((e) => e.globalPosition)).toEqual([positionB]);
      await a.query('COMMIT');

      const next = await waitFor(async () => {
        const page = await store.readAllByPosition({
          streamIdPrefix: prefix,
          afterPosition: first.lastPosition,
        });
        return page.events.length > 0 && page;
      });
      expect(next.events.map((e) => e.globalPosition)).toEqual([positionA]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
