/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Incremental text/event-stream parser: feed decoded text as it arrives, get the complete
 * messages back. Comments (`: keep-alive`) and messages without data are dropped.
 */
export class SseParser {
  private buffer = '';
  private current: { id?: string; event?: string; data: string[] } = { data: [] };

  push(text: string): SseMessage[] {
    this.buffer += text;
    // A trailing CR may be the first half of a CRLF split across two pushes: hold it back.
    const hold = this.buffer.endsWith('\r');
    const lines = (hold ? this.buffer.slice(0, -1) : this.buffer).split(/\r\n|\r|\n/);
    this.buffer = (lines.pop() ?? '') + (hold ? '\r' : ''); // the last piece may be a line still arriving
    const messages: SseMessage[] = [];
    for (const line of lines) {
      if (line === '') {
        const { id, event, data } = this.current;
        if (data.length > 0)
          messages.push({
            ...(id !== undefined ? { id } : {}),
            ...(event !== undefined ? { event } : {}),
            data: data.join('\n'),
          });
        this.current = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.current.data.push(value);
      else if (field === 'id') this.current.id = value;
      else if (field === 'event') this.current.event = value;
    }
    return messages;
  }
}
