import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { type Logger, OccasionalTask } from '@snapferry/platform';
import { REGION_CLOCK_SKEW_MS } from '@snapferry/storage';
import { migrateSchema, storeMigrations } from '../jobs/replicator-migrations';

/** The schema every replicator of REPLICATOR_DATABASE_URL shares for the store's signatures. */
export const storeSignaturesSchema = 'replicator_store';
const table = `${storeSignaturesSchema}.signatures`;

/** How often a replicator clears the expired rows (when it answers store calls at all). */
const purgeIntervalMs = 60_000;

/**
 * The store service's memory of the signatures it accepted, in PostgreSQL so that every
 * replicator on the database shares it (several behind one storeUrl included): a signed store
 * call is carried out once, a second arrival of the same signature within its five minutes is
 * a replay. One indexed insert per call; the expired rows go now and then, in the background.
 */
export class StoreSignatures implements BeforeApplicationShutdown {
  private readonly purge: OccasionalTask;

  constructor(
    private readonly dataSource: DataSource,
    logger: Logger,
  ) {
    this.purge = new OccasionalTask(
      purgeIntervalMs,
      // One more window of margin, so that replicators whose clocks differ still agree.
      () =>
        this.dataSource.query(`DELETE FROM ${table} WHERE expires_at < $1`, [
          new Date(Date.now() - REGION_CLOCK_SKEW_MS).toISOString(),
        ]),
      (err) => logger.warn({ err }, 'could not purge expired store signatures; retrying later'),
    );
  }

  /** Creates or migrates the shared schema, then the ledger over it. */
  static async open(dataSource: DataSource, logger: Logger): Promise<StoreSignatures> {
    await migrateSchema(dataSource, storeSignaturesSchema, storeMigrations);
    return new StoreSignatures(dataSource, logger);
  }

  /**
   * Records a verified signature (hex) signed at `dateMs`: true on its first use, false when
   * any replicator of the database has seen it before.
   */
  async firstUse(signature: string, dateMs: number): Promise<boolean> {
    this.purge.poke();
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        `INSERT INTO ${table} (signature, expires_at) VALUES (decode($1, 'hex'), $2)
         ON CONFLICT (signature) DO NOTHING RETURNING 1`,
        [signature, new Date(dateMs + REGION_CLOCK_SKEW_MS).toISOString()],
        true,
      );
      return (result.records ?? []).length === 1;
    } finally {
      await runner.release();
    }
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.purge.settled();
  }
}
