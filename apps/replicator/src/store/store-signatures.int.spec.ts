import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '@snapferry/testing';
import { DataSource } from 'typeorm';
import { StoreSignatures } from './store-signatures';

const logger = pino({ level: 'silent' });
const signature = (n: number) => n.toString(16).padStart(64, '0');

describe('StoreSignatures (PostgreSQL)', () => {
  let db: TestDatabase;
  const dataSources: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sf_store_sigs');
  });

  afterAll(async () => {
    await Promise.all(dataSources.map((d) => d.destroy()));
    await db.drop();
  });

  /** A replicator's own pool on the shared database. */
  const replicator = async () => {
    const dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 4 });
    dataSources.push(await dataSource.initialize());
    return dataSource;
  };

  it('a signature is good once, across every replicator of the database, even at the same moment', async () => {
    const [a, b] = await Promise.all([replicator(), replicator()]);
    const [first, second] = await Promise.all([
      StoreSignatures.open(a, logger),
      StoreSignatures.open(b, logger),
    ]);
    const now = Date.now();
    expect(await first.firstUse(signature(1), now)).toBe(true);
    expect(await second.firstUse(signature(1), now)).toBe(false);
    expect(await first.firstUse(signature(1), now)).toBe(false);
    // Both at once: exactly one is the first use.
    const racing = await Promise.all([
      first.firstUse(signature(2), now),
      second.firstUse(signature(2), now),
    ]);
    expect(racing.sort()).toEqual([false, true]);
    await Promise.all([first.beforeApplicationShutdown(), second.beforeApplicationShutdown()]);
  });

  it('forgets a signature only well after its five minutes (purged on a later use)', async () => {
    const dataSource = await replicator();
    const signatures = await StoreSignatures.open(dataSource, logger);
    await dataSource.query(`DELETE FROM replicator_store.signatures`);
    const now = Date.now();
    await signatures.firstUse(signature(10), now - 11 * 60_000); // expired one window ago
    await signatures.firstUse(signature(11), now - 6 * 60_000); // expired, within the margin
    await signatures.beforeApplicationShutdown();
    const fresh = await StoreSignatures.open(dataSource, logger); // its first use purges
    await fresh.firstUse(signature(12), now);
    await fresh.beforeApplicationShutdown();
    const kept = await dataSource.query<{ signature: string }[]>(
      `SELECT encode(signature, 'hex') AS signature FROM replicator_store.signatures ORDER BY 1`,
    );
    expect(kept.map((r) => r.signature)).toEqual([signature(11), signature(12)]);
  });
});
