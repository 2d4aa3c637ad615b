import { Module } from '@nestjs/common';
import { PostgresEventStore } from '@snapferry/event-store';
import type { CatalogConfig } from '@snapferry/platform';
import { RegionsModule } from '../regions/regions.module';
import { CONFIG } from '../tokens';
import { DataReaper } from './data-reaper';
import { DataReaperRepository } from './data-reaper.repository';
import { RegionSweeper } from './region-sweeper';

/**
 * What deleted snapshots leave in the regions' stores: the DataReaper follows SnapshotDeleted
 * and records the work in its batch's transaction, DataReaperRepository keeps that work and each
 * region's sweep schedule (SNAPFERRY_GC_*), and the RegionSweeper does the calls to the
 * regions' stores outside any transaction. Both workers run from the application's bootstrap
 * until its shutdown begins.
 */
@Module({
  imports: [RegionsModule],
  providers: [
    {
      provide: DataReaperRepository,
      useFactory: (store: PostgresEventStore, config: CatalogConfig) =>
        new DataReaperRepository(store, {
          intervalMs: config.gcIntervalMs,
          periodMs: config.gcPeriodMs,
          graceMs: config.gcGraceMs,
        }),
      inject: [PostgresEventStore, CONFIG],
    },
    DataReaper,
    RegionSweeper,
  ],
})
export class DataReaperModule {}
