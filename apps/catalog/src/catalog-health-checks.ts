import { Injectable } from '@nestjs/common';
import { PostgresEventStore } from '@snapferry/event-store';
import { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';
import { brokerReady, type HealthChecks } from '@snapferry/platform';
import { databaseRepository } from './database/database.repository';

/** Readiness: the event store's database answers, the broker connection and the confirm channel are open. */
@Injectable()
export class CatalogHealthChecks implements HealthChecks {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
  ) {}

  database = () => databaseRepository.answers(this.store);
  broker = () => brokerReady(this.amqp, this.publisher);
}
