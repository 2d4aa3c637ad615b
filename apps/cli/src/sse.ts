import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Feed decoded text/event-stream text as it arrives, get the complete messages back; the
 * parsing itself is eventsource-parser's (the console uses it too). Comments
 * (`: keep-alive`) and messages without data are dropped.
 */
export class SseParser {
  private ready: SseMessage[] = [];
  private readonly parser = createParser({
    onEvent: ({ id, event, data }: EventSourceMessage) => {
      if (data === '') return;
      this.ready.push({
        ...(id !== undefined ? { id } : {}),
        ...(event !== undefined ? { event } : {}),
        data,
      });
    },
  });

  push(text: string): SseMessage[] {
    this.parser.feed(text);
    const messages = this.ready;
    this.ready = [];
    return messages;
  }
}
