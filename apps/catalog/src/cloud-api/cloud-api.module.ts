import { Module } from '@nestjs/common';
import { ReplicationsModule } from '../replications/replications.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { CloudActions } from './cloud-actions';
import { CloudApi } from './cloud-api';
import { CloudApiController } from './cloud-api.controller';
import { CloudSignatures } from './cloud-signatures';

/**
 * The cloud's API 3.0 edge (`POST /` and `GET /`, off without SNAPFERRY_CLOUD_KEYS): CloudApi
 * authenticates and answers in the cloud's shape, CloudSignatures refuses a replayed signature
 * (its table purged in the background), and CloudActions runs the actions with the snapshots'
 * commands and queries and the replications' RequestCopies, the same ones the v1 API uses.
 */
@Module({
  imports: [TransactionsModule, SnapshotsModule, ReplicationsModule],
  controllers: [CloudApiController],
  providers: [CloudApi, CloudActions, CloudSignatures],
})
export class CloudApiModule {}
