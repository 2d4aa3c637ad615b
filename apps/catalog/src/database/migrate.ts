import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createEventStoreDataSource } from '@snapferry/event-store';
import { ensureDatabase } from '@snapferry/platform';
import { catalogMigrations } from '../database/catalog-migrations';

/** Migrations run under an advisory lock so that several catalog instances can start together. */
export async function migrate(databaseUrl: string): Promise<DataSource> {
  await ensureDatabase(databaseUrl);
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('snapferry-catalog-migrations'))`);
    const dataSource = createEventStoreDataSource(databaseUrl, catalogMigrations, {
      applicationName: 'snapferry-catalog',
    });
    await dataSource.initialize();
    return dataSource;
  } finally {
    // Ending the connection frees the advisory lock; a failure here means it is gone already.
    await lock.end().catch(() => undefined);
  }
}
