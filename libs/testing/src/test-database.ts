import { Client } from 'pg';
import { uniqueName } from './unique-name';

export interface TestDatabase {
  /** Connection string of a fresh, empty database owned by this test file. */
  url: string;
  drop(): Promise<void>;
}

const localDefault = 'postgres://postgres@127.0.0.1:5432/test';

/** The server tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local default. */
export function adminDatabaseUrl(): string {
  return process.env['TEST_DATABASE_URL'] ?? process.env['DATABASE_URL'] ?? localDefault;
}

let containerUrl: Promise<string> | undefined;

async function startContainer(): Promise<string> {
  // Only where a Docker engine answers (a contributor's laptop); CI uses the running server.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  return container.getConnectionUri();
}

/**
 * Connects to the configured server, else to a container where a Docker engine answers.
 * (Not platform's probePostgres: libs/testing must not depend on the libraries it tests.)
 */
async function connectToServer(): Promise<{ admin: string; client: Client }> {
  const configured = adminDatabaseUrl();
  const client = new Client({ connectionString: configured, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return { admin: configured, client };
  } catch (error) {
    await client.end().catch(() => undefined);
    containerUrl ??= startContainer().catch((cause: unknown) => {
      throw new AggregateError(
        [error, cause],
        `PostgreSQL at ${configured} did not answer and no container could start`,
      );
    });
    const admin = await containerUrl;
    const containerClient = new Client({ connectionString: admin });
    await containerClient.connect();
    return { admin, client: containerClient };
  }
}

/** Creates a database with a unique name for one test file; `drop()` removes it. */
export async function createTestDatabase(prefix = 'sf_test'): Promise<TestDatabase> {
  const { admin, client } = await connectToServer();
  const name = uniqueName(prefix);
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      try {
        await dropDatabase(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Drops a test's database once its sessions have gone. A pool's end() resolves before its
 * clients' sockets close: a FORCE drop at that moment terminates a session still closing, and
 * that client (still listened to by its ended pool) raises 57P01 as an unhandled error in
 * whichever test runs then. FORCE ends only what is still open after the wait.
 */
export async function dropDatabase(admin: Client, name: string): Promise<void> {
  await waitForSessionsToEnd(admin, name);
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

async function waitForSessionsToEnd(c: Client, name: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await c.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
