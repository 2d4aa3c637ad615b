import { Module } from '@nestjs/common';
import { RequestCopies } from '../copies/request-copies';
import { DeadlineTimer } from '../deadlines/deadline-timer';
import { ProgressController } from '../progress/progress.controller';
import { RecordProgress } from '../progress/record-progress';
import { TransactionsModule } from '../transactions/transactions.module';
import { ReplicationQueries } from './replication-queries';
import { ReplicationsController } from './replications.controller';

/**
 * A copy's life in the catalog: RequestCopies (the one transaction that requests copies of a
 * snapshot, for the snapshots' route, the cloud API and the policies), the progress consumer's
 * handler and RecordProgress (the replicators' events ingested), the DeadlineTimer (a copy
 * still in flight at its deadline), and `GET /v1/replications`.
 */
@Module({
  imports: [TransactionsModule],
  controllers: [ReplicationsController, ProgressController],
  providers: [RequestCopies, ReplicationQueries, RecordProgress, DeadlineTimer],
  exports: [RequestCopies],
})
export class ReplicationsModule {}
