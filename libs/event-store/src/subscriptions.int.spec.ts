import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createTestDatabase, waitFor, type TestDatabase } from '@snapferry/testing';
import {
  CheckpointsRepository,
  createEventStoreDataSource,
  EventNotifications,
  lockSubscription,
  PostgresEventStore,
  processSubscriptionBatch,
  readSubscriptionStatus,
  resetSubscription,
  runSubscription,
  type EventNotification,
  type RecordedEvent,
} from './index';

// Global reads wait for transactions anywhere on the server to finish: allow time.
jest.setTimeout(60_000);

let db: TestDatabase;
let dataSource: DataSource;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('sf_es_sub');
  dataSource = createEventStoreDataSource(db.url, [], { poolSize: 12 });
  await dataSource.initialize();
  store = new PostgresEventStore(dataSource);
  await dataSource.query(`CREATE TABLE effects (subscription text, event_id uuid, runner text)`);
});

afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

const appendMany = async (prefix: string, count: number) => {
  for (let i = 0; i < count; i++) {
    await store.appendToStream(`${prefix}${i % 3}`, [{ type: 'Counted', data: { i } }], {
      expectedVersion: 'any',
    });
  }
};

/** The read model: one row per handled event, written in the batch's transaction. */
const recordEffects =
  (subscription: string, runner: string) =>
  async (events: RecordedEvent[], tx: { execute: PostgresEventStore['execute'] }) => {
    await tx.execute(
      `INSERT INTO effects (subscription, event_id, runner) SELECT $1, unnest($2::uuid[]), $3`,
      [subscription, events.map((e) => e.eventId), runner],
    );
  };

const effects = async (subscription: string) => {
  const [row] = await store.query<{ total: string; distinct_events: string }>(
    `SELECT count(*)::text AS total, count(DISTINCT event_id)::text AS distinct_events FROM effects WHERE subscription = $1`,
    [subscription],
  );
  return { total: Number(row!.total), distinct: Number(row!.distinct_events) };
};

describe('subscriptions', () => {
  it('processes a batch, stores its checkpoint, and continues after it', async () => {
    const name = `sub-${randomUUID()}`;
    const prefix = `${name}-`;
    await appendMany(prefix, 5);
    const seen: number[] = [];
    type Counted = { type: 'Counted'; data: { i: number } };
    const handle = async (events: RecordedEvent<Counted>[]) => {
      seen.push(...events.map((e) => e.data.i));
    };

    await waitFor(async () => {
      await processSubscriptionBatch<Counted>(store, {
        name,
        batchSize: 2,
        filter: { streamIdPrefix: prefix },
        handle,
      });
      return seen.length === 5;
    });
    const status = await readSubscriptionStatus(store, name);
    const idle = await processSubscriptionBatch<Counted>(store, {
      name,
      filter: { streamIdPrefix: prefix },
      handle,
    });

    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(idle.outcome).toBe('idle');
    expect(status?.checkpoint.transactionId).toBeGreaterThan(0n);
    expect(await new CheckpointsRepository(store).load(name)).toEqual(
      (await readSubscriptionStatus(store, name))?.checkpoint,
    );
  });

  it('rolls back the read model and the checkpoint together when the handler fails', async () => {
    const name = `sub-${randomUUID()}`;
    const prefix = `${name}-`;
    await appendMany(prefix, 2);
    const options = { name, filter: { streamIdPrefix: prefix } };

    const failing = async (
      events: RecordedEvent[],
      tx: { execute: PostgresEventStore['execute'] },
    ) => {
      await recordEffects(name, 'failing')(events, tx);
      throw new Error('projection bug');
    };
    const error = await waitFor(() =>
      processSubscriptionBatch(store, { ...options, handle: failing }).then(
        () => false,
        (e) => e,
      ),
    );
    expect(error).toEqual(new Error('projection bug'));

    expect(await effects(name)).toEqual({ total: 0, distinct: 0 });
    const fixed = await processSubscriptionBatch(store, {
      ...options,
      handle: recordEffects(name, 'fixed'),
    });
    expect(fixed).toMatchObject({ outcome: 'handled', count: 2 }); // what the failed batch saw is visible still
    expect(await effects(name)).toEqual({ total: 2, distinct: 2 });
  });

  it('reports busy while another instance holds the subscription', async () => {
    const name = `sub-${randomUUID()}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await appendMany(`${name}-`, 1);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));

    const first = waitFor(() =>
      processSubscriptionBatch(store, {
        name,
        filter: { streamIdPrefix: `${name}-` },
        handle: async () => {
          entered();
          await held;
        },
      }).then((r) => r.outcome === 'handled'),
    );
    await inside;
    const second = await processSubscriptionBatch(store, { name, handle: async () => undefined });
    release();

    expect(second).toEqual({ outcome: 'busy' });
    expect(await first).toBe(true);
  });

  it('holds the subscription without an xid: no reader of the log waits behind a batch until it writes', async () => {
    const name = `sub-${randomUUID()}`;
    await appendMany(`${name}-`, 2);
    const xids: (string | null)[] = [];
    const xid = async (tx: { query: PostgresEventStore['query'] }) =>
      (
        await tx.query<{ x: string | null }>(`SELECT pg_current_xact_id_if_assigned()::text AS x`)
      )[0]!.x;
    await waitFor(() =>
      processSubscriptionBatch(store, {
        name,
        filter: { streamIdPrefix: `${name}-` },
        handle: async (events, tx) => {
          xids.push(await xid(tx)); // locked and read: no xid yet
          await recordEffects(name, 'one')(events, tx);
          xids.push(await xid(tx)); // wrote: now it has one
        },
      }).then((r) => r.outcome === 'handled'),
    );
    expect(xids[0]).toBeNull();
    expect(xids[1]).toMatch(/^\d+$/);
    // A pass that holds the subscription (lockSubscription) and only reads takes none either,
    // and a batch meanwhile is busy.
    await store.transaction(async (tx) => {
      await lockSubscription(tx, name);
      expect(await xid(tx)).toBeNull();
      const during = await processSubscriptionBatch(store, { name, handle: async () => undefined });
      expect(during).toEqual({ outcome: 'busy' });
    });
  });

  it('has competing runners handle every event exactly once overall', async () => {
    const name = `sub-${randomUUID()}`;
    const prefix = `${name}-`;
    const controller = new AbortController();
    const runner = (id: string) =>
      runSubscription(store, {
        name,
        batchSize: 7,
        pacing: {
          pollIntervalMs: 10,
        },
        filter: { streamIdPrefix: prefix },
        signal: controller.signal,
        handle: recordEffects(name, id),
      });
    const runners = [runner('a'), runner('b'), runner('c')];

    await Promise.all([appendMany(prefix, 40), appendMany(`${prefix}x`, 40)]);
    try {
      await waitFor(async () => (await effects(name)).distinct === 80, { timeoutMs: 30_000 });
    } finally {
      controller.abort();
      await Promise.all(runners);
    }

    expect(await effects(name)).toEqual({ total: 80, distinct: 80 });
  });

  it('commits a batch without waiting for the WAL flush only when told', async () => {
    const prefix = `wal-${randomUUID()}-`;
    await appendMany(prefix, 2);
    const modes: string[] = [];
    const handle = async (_events: RecordedEvent[], tx: { query: PostgresEventStore['query'] }) => {
      const [row] = await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      modes.push(row!.synchronous_commit);
    };
    const filter = { streamIdPrefix: prefix };
    await processSubscriptionBatch(store, { name: `wal-sync-${prefix}`, filter, handle });
    await processSubscriptionBatch(store, {
      name: `wal-async-${prefix}`,
      filter,
      handle,
      synchronousCommit: false,
    });
    expect(modes).toEqual(['on', 'off']);
    // The setting is local to the batch's transaction: the pooled connection is back to 'on'.
    const after = await store.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    expect(after[0]!.synchronous_commit).toBe('on');
  });

  it('replays everything after a reset', async () => {
    const name = `sub-${randomUUID()}`;
    const prefix = `${name}-`;
    await appendMany(prefix, 3);
    const batch = () =>
      processSubscriptionBatch(store, {
        name,
        filter: { streamIdPrefix: prefix },
        handle: recordEffects(name, 'r'),
      });
    await waitFor(async () => (await batch(), (await effects(name)).total === 3));

    await store.transaction(async (tx) => {
      await tx.execute(`DELETE FROM effects WHERE subscription = $1`, [name]);
      await resetSubscription(tx, name);
    });
    expect(await readSubscriptionStatus(store, name)).toMatchObject({
      checkpoint: { transactionId: 0n, position: 0n },
    });
    expect((await readSubscriptionStatus(store, name))?.lag).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await batch(), (await effects(name)).total >= 3));

    expect(await effects(name)).toEqual({ total: 3, distinct: 3 });
  });
});

describe('checkpoint store', () => {
  it('persists a named checkpoint and never moves it backwards', async () => {
    const checkpoints = new CheckpointsRepository(store);
    const name = `relay-${randomUUID()}`;

    expect(await checkpoints.load(name)).toEqual({ transactionId: 0n, position: 0n });
    await checkpoints.store(name, { transactionId: 900n, position: 12n });
    await checkpoints.store(name, { transactionId: 899n, position: 50n });
    expect(await new CheckpointsRepository(store).load(name)).toEqual({
      transactionId: 900n,
      position: 12n,
    });
    await checkpoints.store(name, { transactionId: 900n, position: 13n });
    expect(await checkpoints.load(name)).toEqual({ transactionId: 900n, position: 13n });
  });
});

describe('notifications', () => {
  it('announces appends on commit, and wakes a waiting runner', async () => {
    const notifications = new EventNotifications(db.url);
    await notifications.start();
    const received: EventNotification[] = [];
    notifications.subscribe((n) => received.push(n));
    try {
      const streamId = `n-${randomUUID()}`;
      const result = await store.appendToStream(streamId, [{ type: 'Counted', data: { i: 1 } }], {
        expectedVersion: 'no_stream',
      });

      await waitFor(() =>
        received.some((n) => n.kind === 'appended' && n.streamIds.includes(streamId)),
      );
      expect(received).toContainEqual({
        kind: 'appended',
        lastGlobalPosition: result.lastGlobalPosition,
        streamIds: [streamId],
      });

      const started = Date.now();
      const woken = notifications.waitForNext(10_000);
      await store.appendToStream(streamId, [{ type: 'Counted', data: { i: 2 } }], {
        expectedVersion: 1,
      });
      await woken;
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await notifications.close();
    }
  });

  it('reconnects after its connection is killed and says so', async () => {
    const notifications = new EventNotifications(db.url, { reconnectDelayMs: 50 });
    await notifications.start();
    const received: EventNotification[] = [];
    notifications.subscribe((n) => received.push(n));
    try {
      await store.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'snapferry-listener'`,
      );
      await waitFor(() => received.some((n) => n.kind === 'reconnected'));

      const streamId = `n-${randomUUID()}`;
      await store.appendToStream(streamId, [{ type: 'Counted', data: { i: 1 } }], {
        expectedVersion: 'no_stream',
      });
      await waitFor(() =>
        received.some((n) => n.kind === 'appended' && n.streamIds.includes(streamId)),
      );
    } finally {
      await notifications.close();
    }
  });

  it('closes the connection when LISTEN fails, at start and on every retry', async () => {
    const listeners = async () =>
      Number(
        (
          await store.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'snapferry-listener'`,
          )
        )[0]?.n,
      );
    const before = await listeners();
    // A NUL byte in the channel name: the server refuses the LISTEN and keeps the session open.
    const notifications = new EventNotifications(db.url, { channel: 'bad\u0000channel' });
    await expect(notifications.start()).rejects.toThrow();
    await expect(notifications.start()).rejects.toThrow();
    await notifications.close();
    await waitFor(async () => (await listeners()) === before, {
      timeoutMs: 3_000,
      what: 'the refused listener connections to close',
    });
  });
});
