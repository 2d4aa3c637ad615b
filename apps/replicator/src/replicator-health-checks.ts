import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';
import { brokerReady, type HealthChecks } from '@snapferry/platform';
import { databaseRepository } from './jobs/database.repository';

/** Readiness: the replicator's database answers, the broker connection and the confirm channel are open. */
@Injectable()
export class ReplicatorHealthChecks implements HealthChecks {
  constructor(
    private readonly dataSource: DataSource,
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
  ) {}

  database = () => databaseRepository.answers(this.dataSource);
  broker = () => brokerReady(this.amqp, this.publisher);
}
