import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { type Logger, OccasionalTask } from '@snapferry/platform';
import { REGION_CLOCK_SKEW_MS } from '@snapferry/storage';
import { migrateSchema, storeMigrations } from '../jobs/replicator-migrations';
import { StoreSignaturesRepository, storeSignaturesSchema } from './store-signatures.repository';

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
  private readonly signatures: StoreSignaturesRepository;

  constructor(dataSource: DataSource, logger: Logger) {
    this.signatures = new StoreSignaturesRepository(dataSource);
    this.purge = new OccasionalTask(
      purgeIntervalMs,
      // One more window of margin, so that replicators whose clocks differ still agree.
      () => this.signatures.deleteExpiredBefore(new Date(Date.now() - REGION_CLOCK_SKEW_MS)),
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
  firstUse(signature: string, dateMs: number): Promise<boolean> {
    this.purge.poke();
    return this.signatures.insertNew(signature, new Date(dateMs + REGION_CLOCK_SKEW_MS));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.purge.settled();
  }
}
