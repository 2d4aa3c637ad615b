import { Client } from 'pg';
import { probePostgres } from '@snapferry/platform';
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

/** Creates a database with a unique name for one test file; `drop()` removes it. */
export async function createTestDatabase(prefix = 'sf_test'): Promise<TestDatabase> {
  let admin = adminDatabaseUrl();
  if ((await probePostgres(admin, 2000)).state !== 'answers') {
    containerUrl ??= startContainer();
    admin = await containerUrl;
  }
  const name = uniqueName(prefix);
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
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
