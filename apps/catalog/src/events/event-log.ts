import { Injectable } from '@nestjs/common';
import { type EventFilter, PostgresEventStore, type RecordedEvent } from '@snapferry/event-store';
import type { EventPageResponse, EventResponse } from '@snapferry/contracts';
import type { Caller } from '../http/api-keys';

/** The event log as the API shows it: global order; operators see every account, users their own. */
@Injectable()
export class EventLog {
  constructor(private readonly eventStore: PostgresEventStore) {}

  filterFor(caller: Caller, query: { type?: string; streamId?: string }): EventFilter {
    return {
      ...(query.type ? { types: [query.type] } : {}),
      ...(query.streamId ? { streamId: query.streamId } : {}),
      ...(caller.role === 'operator' ? {} : { accountId: caller.accountId }),
    };
  }

  async page(filter: EventFilter, after: bigint, limit: number): Promise<EventPageResponse> {
    const { events, lastPosition } = await this.eventStore.readAllByPosition({
      ...filter,
      afterPosition: after,
      limit,
    });
    return { events: events.map(toEventResponse), next: lastPosition.toString() };
  }
}

export const toEventResponse = (e: RecordedEvent): EventResponse => ({
  globalPosition: e.globalPosition.toString(),
  eventId: e.eventId,
  streamId: e.streamId,
  streamPosition: e.streamPosition,
  type: e.type,
  version: e.schemaVersion,
  data: e.data,
  metadata: e.metadata,
  recordedAt: e.recordedAt.toISOString(),
});
