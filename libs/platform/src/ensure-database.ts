import { Client } from 'pg';

export type PostgresProbe =
  | { state: 'answers' }
  /** The server answers but has no database of that name (SQLSTATE 3D000). */
  | { state: 'no-such-database' }
  | { state: 'unreachable'; error: unknown };

/**
 * Connects once to `url` and says what answered. The one probe the services (before
 * creating their database), the tests and `npm start` use.
 */
export async function probePostgres(url: string, timeoutMs = 3000): Promise<PostgresProbe> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    return { state: 'answers' };
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return { state: 'no-such-database' };
    return { state: 'unreachable', error };
  } finally {
    // Only a probe: whether it ends cleanly changes nothing.
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the database named in `url` when it does not exist yet, so a fresh server needs
 * no manual step. Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = await probePostgres(url, 0);
  if (probe.state === 'answers') return;
  if (probe.state === 'unreachable') throw probe.error;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // created meanwhile by another service
  } finally {
    await client.end();
  }
}
