import { Client, Pool } from 'pg';
import { startDelayProxy } from './network-lab/delay-proxy';
import { adminDatabaseUrl, createTestDatabase } from './test-database';

describe('createTestDatabase', () => {
  it('drop() right after a pool ends raises no error on that pool, and removes the database', async () => {
    // CI once failed on this: a FORCE drop terminated a session its ended pool was still
    // closing. A delay on the pool's link makes its closing slow every time, not only under load.
    const db = await createTestDatabase('sf_drop');
    const url = new URL(db.url);
    const link = await startDelayProxy({
      listenHost: '127.0.0.1',
      target: { host: url.hostname, port: Number(url.port || 5432) },
      delayMs: 150,
    });
    const errors: Error[] = [];
    try {
      const slow = new URL(db.url);
      slow.hostname = '127.0.0.1';
      slow.port = String(link.port);
      const pool = new Pool({ connectionString: slow.toString(), max: 4 });
      pool.on('error', (error) => errors.push(error));
      await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT pg_sleep(0.01)')));
      await pool.end();
      await db.drop();
      await new Promise((resolve) => setTimeout(resolve, 400)); // what the link still held
    } finally {
      await link.close();
    }
    expect(errors.map((e) => e.message)).toEqual([]);

    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        url.pathname.slice(1),
      ]);
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
  });

  it('drop() still removes a database whose pool a test left open', async () => {
    const db = await createTestDatabase('sf_drop');
    const pool = new Pool({ connectionString: db.url, max: 2 });
    const ended: Error[] = [];
    pool.on('error', (error) => ended.push(error));
    await pool.query('SELECT 1');
    await db.drop(); // waits its 5 s, then FORCE ends the idle session
    await pool.end();
    expect(ended.map((e) => (e as Error & { code?: string }).code)).toEqual(['57P01']);
  }, 20_000);
});
