import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import {
  createTestDatabase,
  type PostgresCommitCutProxy,
  startPostgresCommitCutProxy,
  type TestDatabase,
} from '@snapferry/testing';
import { CommitOutcomeUnknownError, createEventStoreDataSource, PostgresEventStore } from './index';

/**
 * A COMMIT whose answer never reaches the client (a proxy between the store and PostgreSQL
 * cuts the connection): the store asks the database what became of the transaction.
 */
let db: TestDatabase;
let direct: DataSource;
let proxied: DataSource;
let proxy: PostgresCommitCutProxy;
let store: PostgresEventStore;
let check: PostgresEventStore;

beforeAll(async () => {
  db = await createTestDatabase('sf_lostcommit');
  direct = createEventStoreDataSource(db.url);
  await direct.initialize();
  check = new PostgresEventStore(direct);
  const { hostname, port } = new URL(db.url);
  proxy = await startPostgresCommitCutProxy({ target: { host: hostname, port: Number(port) } });
  proxied = createEventStoreDataSource(proxy.url(db.url));
  await proxied.initialize();
  store = new PostgresEventStore(proxied, { commitOutcomeTimeoutMs: 1_500 });
});

afterAll(async () => {
  await proxied?.destroy().catch(() => undefined);
  await proxy?.close();
  await direct?.destroy();
  await db?.drop();
});

const appendOne = (streamId: string) =>
  store.transaction(async (tx) => {
    await tx.appendToStreams([
      {
        streamId,
        expectedVersion: 'no_stream',
        events: [{ type: 'SnapshotRegistered', data: { snapshotId: streamId } }],
      },
    ]);
    return 'the result';
  });

const storedVersion = async (streamId: string) => (await check.readStream(streamId)).currentVersion;

describe('a COMMIT whose answer is lost', () => {
  it('that took: the transaction returns its result, and its events are stored once', async () => {
    const streamId = `snapshot-${randomUUID()}`;
    const cut = proxy.cutCommit({ markers: [streamId], where: 'after-commit' });
    await expect(appendOne(streamId)).resolves.toBe('the result');
    await cut;
    expect(await storedVersion(streamId)).toBe(1);
  });

  it('that never reached the server: the lost connection’s error (the outcome is known), nothing stored', async () => {
    const streamId = `snapshot-${randomUUID()}`;
    const cut = proxy.cutCommit({ markers: [streamId], where: 'before-commit' });
    const error: unknown = await appendOne(streamId).catch((e: unknown) => e);
    await cut;
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(await storedVersion(streamId)).toBe(0);
  });

  it('while the database cannot be asked: CommitOutcomeUnknownError; what committed is there once it answers', async () => {
    const streamId = `snapshot-${randomUUID()}`;
    const cutAt = proxy
      .cutCommit({ markers: [streamId], where: 'after-commit', blackoutMs: 3_000 })
      .then(() => Date.now());
    const error: unknown = await appendOne(streamId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((error as CommitOutcomeUnknownError).transactionId).toEqual(expect.any(BigInt));
    expect(Date.now() - (await cutAt)).toBeGreaterThanOrEqual(1_400); // it kept asking
    expect(await storedVersion(streamId)).toBe(1);
    await sleep(3_100 - (Date.now() - (await cutAt))); // the blackout ends; the store works again
    await expect(appendOne(`snapshot-${randomUUID()}`)).resolves.toBe('the result');
  });

  it('a COMMIT the server refuses (a deferred constraint) fails at once with its own error', async () => {
    await check.execute(
      `CREATE TABLE IF NOT EXISTS deferred_once (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)`,
    );
    const streamId = `snapshot-${randomUUID()}`;
    const error: unknown = await store
      .transaction(async (tx) => {
        await tx.appendToStreams([
          {
            streamId,
            expectedVersion: 'no_stream',
            events: [{ type: 'SnapshotRegistered', data: {} }],
          },
        ]);
        await tx.execute(`INSERT INTO deferred_once (id) VALUES (1), (1)`);
      })
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
    expect((error as Error).message).toMatch(/duplicate key/);
    expect(await storedVersion(streamId)).toBe(0);
  });
});
