import { once } from 'node:events';
import type { Request, Response } from 'express';
import type { EventNotifications, EventFilter } from '@snapferry/event-store';
import type { EventLog } from './event-log';

/** Events read per page; with backpressure, at most one page waits in memory per stream. */
export const STREAM_PAGE_SIZE = 500;
const KEEP_ALIVE_MS = 15_000;

/**
 * Writes the event log to a server-sent-events response from `after`, then follows it live.
 * A slow reader is never buffered for: when `write()` says the socket is full, the loop waits
 * for `drain` (or the client going away) before reading the next page.
 */
export async function followEventLog(
  log: EventLog,
  notifications: EventNotifications,
  filter: EventFilter,
  after: bigint,
  request: Request,
  response: Response,
): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  request.on('close', onClose);
  response.on('close', onClose);
  const { signal } = gone;

  /** False once the client has gone; waits while the socket's buffer is full. */
  const send = async (text: string): Promise<boolean> => {
    if (signal.aborted) return false;
    if (response.write(text)) return true;
    // Rejects only when the client goes away (abort or socket error): reported by the return.
    await once(response, 'drain', { signal }).catch(() => undefined);
    return !signal.aborted;
  };

  try {
    let lastBeat = Date.now();
    if (!(await send(': following the event log\n\n'))) return;
    while (!signal.aborted) {
      const page = await log.page(filter, after, STREAM_PAGE_SIZE);
      for (const event of page.events) {
        const frame = `id: ${event.globalPosition}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
        if (!(await send(frame))) return;
        lastBeat = Date.now();
      }
      const next = BigInt(page.next);
      if (next > after) after = next;
      if (page.events.length === STREAM_PAGE_SIZE) continue;
      if (Date.now() - lastBeat > KEEP_ALIVE_MS) {
        if (!(await send(': keep-alive\n\n'))) return;
        lastBeat = Date.now();
      }
      await notifications.waitForNext(1_000, signal);
    }
  } finally {
    request.off('close', onClose);
    response.off('close', onClose);
    response.end();
  }
}

/** Counts open streams per caller so that one key cannot hold unbounded connections and pages. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly perCaller: number) {}

  tryTake(caller: string): boolean {
    const n = this.open.get(caller) ?? 0;
    if (n >= this.perCaller) return false;
    this.open.set(caller, n + 1);
    return true;
  }

  give(caller: string): void {
    const n = (this.open.get(caller) ?? 1) - 1;
    if (n <= 0) this.open.delete(caller);
    else this.open.set(caller, n);
  }
}
