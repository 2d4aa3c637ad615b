import type { SqlExecutor } from '@snapferry/event-store';

/*
 * Where the catalog's SQL lives. Every table the catalog owns has one repository,
 * `<table>.repository.ts`, that holds all its SQL, with methods named for what they do;
 * services, controllers, gauges and timers call repositories and never write SQL (migrations
 * excepted). A repository sits next to the feature that owns its table (the upload leases in
 * `snapshot-data/`, the views beside their projections in `read-models/`), not in a folder of
 * its own: a feature's folder keeps everything that changes with it, and a feature module
 * lists what it owns by listing its folder. The replicator's follow the same rule.
 *
 * A repository is an object of functions whose first argument is the executor they run on:
 * the event store (`PostgresEventStore`) for a statement on its own, or the transaction
 * (`EventStoreTransaction`, a catalog transaction's `tx.db`) for rows that must commit with
 * the caller's events. One that needs settings (the data reaper's timing, a replicator
 * region's schema) is a class built with them and the executor it runs on. One transaction abstraction, the event store's `transaction()`; its
 * `query`/`execute` are the one door repositories take to the database.
 */

/** The database as a whole, for readiness. */
export const databaseRepository = {
  /** Whether the database answers a statement. */
  async answers(db: SqlExecutor): Promise<boolean> {
    return (await db.query('SELECT 1')).length === 1;
  },
};
