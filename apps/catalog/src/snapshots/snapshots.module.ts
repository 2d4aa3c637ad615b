import { Module } from '@nestjs/common';
import { ReplicationsModule } from '../replications/replications.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { SnapshotCommands } from './snapshot-commands';
import { SnapshotQueries } from './snapshot-queries';
import { SnapshotsController } from './snapshots.controller';

/**
 * Snapshots: `/v1/snapshots` (register, list, read, update, delete, and request copies through
 * the replications' RequestCopies), their commands and queries. Exports the commands and
 * queries for the snapshots' data and the cloud API.
 */
@Module({
  imports: [TransactionsModule, ReplicationsModule],
  controllers: [SnapshotsController],
  providers: [SnapshotCommands, SnapshotQueries],
  exports: [SnapshotCommands, SnapshotQueries],
})
export class SnapshotsModule {}
