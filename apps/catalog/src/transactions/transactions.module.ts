import { Module } from '@nestjs/common';
import { ReadModelsModule } from '../read-models/read-models.module';
import { CatalogTransactions } from './catalog-transactions';

/**
 * The CatalogTransactions: the event store's appends with their rows (region usage, deadlines) in one
 * transaction, and reads of the read models once they have caught up with a command's writes
 * (hence the ProjectionWatermark it imports). Every feature that reads or writes the catalog
 * imports this module.
 */
@Module({
  imports: [ReadModelsModule],
  providers: [CatalogTransactions],
  exports: [CatalogTransactions],
})
export class TransactionsModule {}
