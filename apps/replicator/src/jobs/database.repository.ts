import type { DataSource } from 'typeorm';

/** The replicator's database as a whole, for readiness. */
export const databaseRepository = {
  /** Whether the database answers a statement. */
  async answers(dataSource: DataSource): Promise<boolean> {
    return (await dataSource.query<unknown[]>('SELECT 1')).length === 1;
  },
};
