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
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
