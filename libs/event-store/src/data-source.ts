import { DataSource, type MigrationInterface } from 'typeorm';
import { eventStoreMigrations } from './migrations';

export type MigrationClass = new () => MigrationInterface;

export type EventStoreDataSourceOptions = {
  /** Pool size; 10 unless told. */
  poolSize?: number;
  applicationName?: string;
};

/**
 * A PostgreSQL DataSource that runs the event store's migrations (then the app's own)
 * on `initialize()`. Never `synchronize`: the schema only changes through migrations.
 */
export function createEventStoreDataSource(
  url: string,
  extraMigrations: MigrationClass[] = [],
  options: EventStoreDataSourceOptions = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    poolSize: options.poolSize ?? 10,
    extra: { application_name: options.applicationName ?? 'snapferry' },
    synchronize: false,
    migrationsRun: true,
    migrations: [...eventStoreMigrations, ...extraMigrations],
    entities: [],
  });
}
