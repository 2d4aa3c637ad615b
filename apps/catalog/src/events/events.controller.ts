import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { EventPageResponse, FollowEventsQuery, ListEventsQuery } from '@snapferry/contracts';
import { EventNotifications } from '@snapferry/event-store';
import type { SnapferryConfig } from '@snapferry/platform';
import { ApiErrors } from '../http/api-docs';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CurrentCaller } from '../http/auth.guard';
import { CONFIG } from '../tokens';
import { EventLog } from './event-log';
import { followEventLog, StreamSlots } from './event-stream';

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(400, 401)
@Controller('v1/events')
export class EventsController {
  private readonly slots: StreamSlots;

  constructor(
    private readonly log: EventLog,
    private readonly notifications: EventNotifications,
    @Inject(CONFIG) config: SnapferryConfig,
  ) {
    this.slots = new StreamSlots(config.maxEventStreamsPerKey);
  }

  @Get()
  @ApiOkResponse({
    type: EventPageResponse,
    description: 'the events after `after`, in global order',
  })
  list(@CurrentCaller() caller: Caller, @Query() query: ListEventsQuery) {
    return this.log.page(
      this.log.filterFor(caller, query),
      BigInt(query.after ?? '0'),
      query.limit ?? 100,
    );
  }

  /** Server-sent events from `after` (or `Last-Event-ID`), then live; each event's id is its global position. */
  @Get('stream')
  @ApiOkResponse({
    description:
      'server-sent events, one per logged event: `id` its global position, `event` its type, `data` the event as in GET /v1/events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(429)
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
    const slot = `${caller.accountId}/${caller.keyId}`;
    if (!this.slots.tryTake(slot))
      throw new ApiError(
        429,
        'LimitExceeded.EventStreams',
        `at most ${this.slots.perCaller} event streams may be open at once per API key; close one first`,
        { 'retry-after': '5' },
      );
    try {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      await followEventLog(this.log, this.notifications, filter, BigInt(resume), request, response);
    } finally {
      this.slots.give(slot);
    }
  }
}
