import { Module } from '@nestjs/common';
import { EventLog } from './event-log';
import { EventsController } from './events.controller';

/**
 * The event log as the API shows it: `GET /v1/events` (a page in global order, operators
 * see every account, users their own) and `GET /v1/events/stream` (server-sent events,
 * woken by the database's notifications).
 */
@Module({
  controllers: [EventsController],
  providers: [EventLog],
})
export class EventsModule {}
