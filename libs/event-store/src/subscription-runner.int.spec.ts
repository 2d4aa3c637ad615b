import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createTestDatabase, waitFor, type TestDatabase } from '@snapferry/testing';
import {
  CheckpointsRepository,
  createEventStoreDataSource,
  EventNotifications,
  PostgresEventStore,
  type RecordedEvent,
  type SubscriptionFailure,
  SubscriptionRunner,
  type SubscriptionRunnerOptions,
} from './index';

// Global reads wait for transactions anywhere on the server to finish: allow time.
jest.setTimeout(60_000);

let db: TestDatabase;
let dataSource: DataSource;
let store: PostgresEventStore;
let notifications: EventNotifications;
const runners: SubscriptionRunner[] = [];

beforeAll(async () => {
  db = await createTestDatabase('sf_es_run');
  dataSource = createEventStoreDataSource(db.url, [], { poolSize: 12 });
  await dataSource.initialize();
  store = new PostgresEventStore(dataSource);
  notifications = new EventNotifications(db.url);
  await notifications.start();
});

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop();
});

afterAll(async () => {
  await notifications?.close();
  await dataSource?.destroy();
  await db?.drop();
});

type Counted = { type: 'Counted'; data: { i: number } };

const append = async (prefix: string, from: number, count: number) => {
  for (let i = from; i < from + count; i++)
    await store.appendToStream(`${prefix}${i % 3}`, [{ type: 'Counted', data: { i } }], {
      expectedVersion: 'any',
    });
};

const started = (options: SubscriptionRunnerOptions<Counted>) => {
  const runner = new SubscriptionRunner<Counted>(store, {
    onError: () => undefined,
    ...options,
  });
  runners.push(runner);
  runner.start();
  return runner;
};

/** Waits until `count` events of `prefix` are below the horizon (other suites' transactions may hold it back). */
const visible = (prefix: string, count: number) =>
  waitFor(
    async () =>
      (await store.readAll({ streamIdPrefix: prefix, limit: 100 })).events.length === count,
    { what: `${count} events visible` },
  );

const numbers = (events: RecordedEvent<Counted>[]) => events.map((e) => e.data.i);

/**
 * A runner woken by notifications only (its poll is ten minutes away), once it has gone idle:
 * its name (the prefix of its streams) and the numbers it has handled.
 */
const idleOnNotifications = async () => {
  const name = `run-${randomUUID()}`;
  const seen: number[] = [];
  let idle = false;
  started({
    name,
    batchSize: 10,
    filter: { streamIdPrefix: `${name}-` },
    notifications,
    pacing: {
      pollIntervalMs: 600_000,
    },
    handle: async (events) => void seen.push(...numbers(events)),
    afterBatch: (outcome) => void (idle ||= outcome.outcome === 'idle'),
  });
  await waitFor(() => idle, { what: 'the runner to go idle' });
  return { name, seen };
};
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('SubscriptionRunner, checkpoint with the batch', () => {
  it('goes again at once after a full batch and waits only after a short one', async () => {
    const name = `run-${randomUUID()}`;
    await append(`${name}-`, 0, 25);
    await visible(`${name}-`, 25);
    const seen: number[] = [];
    const steps: string[] = [];
    started({
      name,
      batchSize: 10,
      filter: { streamIdPrefix: `${name}-` },
      pacing: {
        pollIntervalMs: () => (steps.push('wait'), 20),
      },
      handle: async (events) => void seen.push(...numbers(events)),
      afterBatch: (outcome) =>
        void steps.push(outcome.outcome === 'handled' ? `batch ${outcome.count}` : outcome.outcome),
    });

    await waitFor(() => seen.length === 25 && steps.includes('idle'), { what: 'all 25 handled' });

    expect(seen).toEqual(upTo(25));
    steps.forEach((step, i) => {
      if (step === 'batch 10') expect(steps[i + 1]).not.toBe('wait');
    });
    expect(steps).toContain('batch 10');
  });

  it('wakes on an append instead of waiting out its poll', async () => {
    const { name, seen } = await idleOnNotifications();

    await append(`${name}-`, 0, 3);

    await waitFor(() => seen.length === 3, { what: 'the append handled', timeoutMs: 20_000 });
    expect(seen).toEqual([0, 1, 2]);
  });

  it('looks again soon while an announced append is not yet visible (an older transaction is open)', async () => {
    const { name, seen } = await idleOnNotifications();
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // An open transaction with an id holds back the horizon; it appends nothing and announces nothing.
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      await append(`${name}-`, 0, 1); // committed and announced, not yet readable
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([]);
      await blocker.query('COMMIT'); // no announcement: only looking again finds the event
    } finally {
      await blocker.end();
    }

    await waitFor(() => seen.length === 1, { what: 'the event handled', timeoutMs: 20_000 });
  });

  it('reports failures with their count, backs off, rolls the batch back and recovers', async () => {
    const name = `run-${randomUUID()}`;
    await append(`${name}-`, 0, 2);
    await visible(`${name}-`, 2);
    await dataSource.query(`CREATE TABLE IF NOT EXISTS run_effects (name text, i int)`);
    const failures: SubscriptionFailure[] = [];
    const delays: number[] = [];
    let calls = 0;
    started({
      name,
      batchSize: 10,
      filter: { streamIdPrefix: `${name}-` },
      pacing: {
        retryDelayMs: (n) => (delays.push(n), 5),
      },
      handle: async (events, tx) => {
        await tx.execute(`INSERT INTO run_effects (name, i) SELECT $1, unnest($2::int[])`, [
          name,
          numbers(events),
        ]);
        if (++calls <= 3) throw new Error(`projection bug ${calls}`);
      },
      onError: (_error, failure) => void failures.push(failure),
    });

    await waitFor(async () => {
      const rows = await store.query(`SELECT i FROM run_effects WHERE name = $1`, [name]);
      return rows.length === 2;
    });

    expect(failures.map((f) => f.during === 'batch' && f.failures)).toEqual([1, 2, 3]);
    expect(failures.map((f) => f.during === 'batch' && f.retryInMs)).toEqual([5, 5, 5]);
    expect(delays).toEqual([1, 2, 3]);
    const rows = await store.query<{ i: number }>(
      `SELECT i FROM run_effects WHERE name = $1 ORDER BY i`,
      [name],
    );
    expect(rows.map((r) => r.i)).toEqual([0, 1]); // the failed attempts left nothing behind
  });
});

describe('SubscriptionRunner, checkpoint after the effect', () => {
  it('stores the checkpoint only once the effect is done, and repeats a failed effect', async () => {
    const name = `run-${randomUUID()}`;
    const checkpoints = new CheckpointsRepository(store);
    await append(`${name}-`, 0, 3);
    await visible(`${name}-`, 3);
    const deliveries: number[][] = [];
    let release!: () => void;
    const effectDone = new Promise<void>((resolve) => (release = resolve));
    const failures: SubscriptionFailure[] = [];
    started({
      name,
      checkpoint: 'after-the-effect',
      batchSize: 10,
      filter: { streamIdPrefix: `${name}-` },
      pacing: {
        retryDelayMs: () => 5,
      },
      handle: async (events) => {
        deliveries.push(numbers(events));
        if (deliveries.length === 1) throw new Error('broker away');
        await effectDone;
      },
      onError: (_error, failure) => void failures.push(failure),
    });

    await waitFor(() => deliveries.length === 2, { what: 'the retry' });
    expect(await checkpoints.load(name)).toEqual({ transactionId: 0n, position: 0n });
    release();

    await waitFor(async () => (await checkpoints.load(name)).transactionId > 0n, {
      what: 'the checkpoint stored',
    });
    expect(deliveries).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(failures).toMatchObject([{ during: 'batch', failures: 1 }]);
  });

  it('runs only while it leads: one leader, the other takes over when it stops or loses its lock', async () => {
    const name = `run-${randomUUID()}`;
    const seen: string[] = [];
    const leading = new Map<string, boolean>();
    const changes: string[] = [];
    const runner = (id: string) =>
      started({
        name,
        checkpoint: 'after-the-effect',
        batchSize: 10,
        filter: { streamIdPrefix: `${name}-` },
        notifications,
        pacing: {
          pollIntervalMs: 50,
        },
        leadership: {
          databaseUrl: db.url,
          retryMs: 50,
          onChange: (now) => {
            leading.set(id, now);
            changes.push(`${id} ${now ? 'leads' : 'steps down'}`);
          },
        },
        handle: async (events) => void seen.push(...numbers(events).map((i) => `${id}:${i}`)),
      });
    const a = runner('a');
    await waitFor(() => leading.get('a'), { what: 'a to lead' });
    runner('b');
    await append(`${name}-`, 0, 5);
    await waitFor(() => seen.length === 5, { what: 'the first events handled' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // b, a follower, does nothing meanwhile
    expect(seen).toEqual(upTo(5).map((i) => `a:${i}`));
    expect(leading.get('b')).toBeUndefined();

    await a.stop();
    expect(leading.get('a')).toBe(false);
    await waitFor(() => leading.get('b'), { what: 'b to take over' });
    await append(`${name}-`, 5, 2);
    await waitFor(() => seen.length === 7, { what: 'the next events handled by b' });
    expect(seen.slice(5)).toEqual(['b:5', 'b:6']);

    // Its lock's connection dies: b steps down and (being alone) takes the lead again.
    changes.length = 0;
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1`,
        [`snapferry-leader:${name}`.slice(0, 63)],
      );
    } finally {
      await admin.end();
    }
    await waitFor(() => changes.length === 2, { what: 'b to step down and lead again' });
    expect(changes).toEqual(['b steps down', 'b leads']);
    await append(`${name}-`, 7, 1);
    await waitFor(() => seen.includes('b:7'), { what: 'b to go on after its checkpoint' });
    expect(seen.slice(5)).toEqual(['b:5', 'b:6', 'b:7']);
  });
});
