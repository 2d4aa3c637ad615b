import { Module } from '@nestjs/common';
import { BetaController } from '../accounts/beta.controller';
import { ReadModelsModule } from '../read-models/read-models.module';
import { RegionsModule } from '../regions/regions.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { ProjectionsController } from './projections.controller';
import { ScrubController } from './scrub.controller';

/**
 * The operators' routes: `/v1/accounts/{id}/beta` (cross-region replication enabled per
 * account), `/v1/admin/regions/{region}/scrub` (a region's stored data re-verified) and
 * `/v1/admin/projections/rebuild` (the read models replayed from the log).
 */
@Module({
  imports: [TransactionsModule, RegionsModule, ReadModelsModule],
  controllers: [BetaController, ScrubController, ProjectionsController],
})
export class AdminModule {}
