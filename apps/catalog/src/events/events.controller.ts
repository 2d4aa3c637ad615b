import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { FollowEventsQuery, ListEventsQuery } from '@snapferry/contracts';
import type { Caller } from '../http/api-keys';
import { CurrentCaller } from '../http/auth.guard';
import { EventLog } from './event-log';
import { EventNotifications } from '@snapferry/event-store';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly log: EventLog,
    private readonly notifications: EventNotifications,
  ) {}

  @Get()
  list(@CurrentCaller() caller: Caller, @Query() query: ListEventsQuery) {
    return this.log.page(
      this.log.filterFor(caller, query),
      BigInt(query.after ?? '0'),
      query.limit ?? 100,
    );
  }

  /** Server-sent events from `after` (or `Last-Event-ID`), then live; each event's id is its global position. */
  @Get('stream')
  @ApiProduces('text/event-stream')
  async stream(
    @CurrentCaller() caller: Caller,
    @Query() query: FollowEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const resume =
      query.after ?? (lastEventId && /^\d{1,18}$/.test(lastEventId) ? lastEventId : '0');
    const filter = this.log.filterFor(caller, query);
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': following the event log\n\n');
    let open = true;
    request.on('close', () => (open = false));
    let after = BigInt(resume);
    let lastBeat = Date.now();
    while (open) {
      const page = await this.log.page(filter, after, 500);
      for (const event of page.events)
        response.write(
          `id: ${event.globalPosition}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
        );
      after = BigInt(page.next) > after ? BigInt(page.next) : after;
      if (page.events.length === 500) continue;
      if (Date.now() - lastBeat > 15_000) {
        response.write(': keep-alive\n\n');
        lastBeat = Date.now();
      }
      await this.notifications.waitForNext(1_000);
    }
    response.end();
  }
}
