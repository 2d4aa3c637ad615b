import { Module } from '@nestjs/common';
import type { CatalogConfig } from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { TransactionsModule } from '../transactions/transactions.module';
import { CONFIG } from '../tokens';
import { RegionsController } from './regions.controller';

/**
 * The regions: `GET /v1/regions` (the region catalog with the caller's quota use) and the
 * RegionStores through which uploads, downloads, scrubs and the data reaper reach each
 * region's store. The catalog touches no region's store itself when the region has a
 * storeUrl: those calls go to the region's store service.
 */
@Module({
  imports: [TransactionsModule],
  controllers: [RegionsController],
  providers: [
    {
      provide: RegionStores,
      useFactory: (config: CatalogConfig) => RegionStores.fromConfig(config),
      inject: [CONFIG],
    },
  ],
  exports: [RegionStores],
})
export class RegionsModule {}
