import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, waitFor, type TestDatabase } from '@snapferry/testing';
import { acquireLeadership, tryAcquireLeadership } from './index';

jest.setTimeout(60_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('sf_es_lead');
});

afterAll(async () => {
  await db?.drop();
});

describe('leadership', () => {
  it('has one leader per name until it releases', async () => {
    const name = `relay-${randomUUID()}`;
    const leader = await tryAcquireLeadership(db.url, name);
    expect(leader).toBeDefined();
    expect(await tryAcquireLeadership(db.url, name)).toBeUndefined();
    const other = await tryAcquireLeadership(db.url, `other-${randomUUID()}`);
    expect(other).toBeDefined();

    const waiting = acquireLeadership(db.url, name, { retryMs: 20 });
    await leader!.release();
    const next = await waiting;

    expect(next.name).toBe(name);
    await Promise.all([next.release(), other!.release()]);
  });

  it('frees leadership when the leader connection dies, and tells the old leader', async () => {
    const name = `relay-${randomUUID()}`;
    const leader = (await tryAcquireLeadership(db.url, name))!;
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'snapferry-leader:%'`,
      );
      await waitFor(() => leader.lost.aborted);
      const successor = await waitFor(() => tryAcquireLeadership(db.url, name));
      await successor.release();
    } finally {
      await admin.end();
      await leader.release();
    }
  });

  it('stops waiting when aborted', async () => {
    const name = `relay-${randomUUID()}`;
    const leader = (await tryAcquireLeadership(db.url, name))!;
    const controller = new AbortController();
    const waiting = acquireLeadership(db.url, name, { retryMs: 20, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await leader.release();
  });
});
