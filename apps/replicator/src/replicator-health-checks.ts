import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';
import { brokerReady, type HealthChecks } from '@snapferry/platform';

/** Readiness: the replicator's database answers, the broker connection and the confirm channel are open. */
@Injectable()
export class ReplicatorHealthChecks implements HealthChecks {
  constructor(
    private readonly dataSource: DataSource,
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
  ) {}

  database = async () => (await this.dataSource.query<unknown[]>('SELECT 1')).length === 1;
  broker = () => brokerReady(this.amqp, this.publisher);
}
