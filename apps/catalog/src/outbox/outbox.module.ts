import { Module } from '@nestjs/common';
import { OutboxRelay } from './outbox-relay';

/**
 * The OutboxRelay: the event log published to RabbitMQ (every event to `snapferry.events`,
 * copy requests and cancels to `snapferry.replication`), one catalog instance at a time,
 * from the application's bootstrap until its shutdown begins, before the broker connection
 * closes.
 */
@Module({
  providers: [OutboxRelay],
})
export class OutboxModule {}
