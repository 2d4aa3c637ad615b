import { Injectable } from '@nestjs/common';
import { PostgresEventStore } from '@snapferry/event-store';
import { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';
import { brokerReady, type HealthChecks } from '@snapferry/platform';

/** Readiness: the event store's database answers, the broker connection and the confirm channel are open. */
@Injectable()
export class CatalogHealthChecks implements HealthChecks {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
  ) {}

  database = async () => (await this.store.query('SELECT 1')).length === 1;
  broker = () => brokerReady(this.amqp, this.publisher);
}
