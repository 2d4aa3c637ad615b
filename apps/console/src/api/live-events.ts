import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiFailure, isAbort, type Api } from './client';
import type { LoggedEvent } from './types';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

type Listener = (events: readonly LoggedEvent[]) => void;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * The tab's one connection to `GET /v1/events/stream`. A browser's EventSource cannot send an
 * Authorization header, so this reads the stream with fetch() (the key in the header, never
 * in the URL) and parses it with eventsource-parser. It resumes after the last event it saw
 * when the stream drops, keeps the most recent events for the event log page, and hands
 * listeners the new events in small batches (a catch-up of thousands re-renders a few times,
 * not thousands).
 */
export class LiveEvents {
  private after = '0';
  private recent: readonly LoggedEvent[] = [];
  private pending: LoggedEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<() => void>();
  private current: LiveStatus = 'stopped';

  constructor(
    private readonly api: Api,
    private readonly capacity = 2000,
    private readonly batchMs = 100,
  ) {}

  get status(): LiveStatus {
    return this.current;
  }

  /** The most recent events, oldest first (a new array after every batch). */
  get events(): readonly LoggedEvent[] {
    return this.recent;
  }

  start(): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller.signal);
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.setStatus('stopped');
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: LiveStatus): void {
    if (this.current === status) return;
    this.current = status;
    for (const listener of this.statusListeners) listener();
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    this.setStatus('connecting');
    while (!signal.aborted) {
      try {
        const response = await this.api.open('/v1/events/stream', { after: this.after }, signal);
        this.setStatus('live');
        failures = 0;
        await this.read(response, signal);
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        // The key was refused: the console signs out (the API client reported it); stop here.
        if (error instanceof ApiFailure && (error.status === 401 || error.status === 403)) {
          this.stop();
          return;
        }
        failures += 1;
      }
      if (signal.aborted) return;
      this.setStatus('reconnecting');
      await sleep(Math.min(500 * 2 ** failures, 10_000), signal);
    }
  }

  private async read(response: Response, signal: AbortSignal): Promise<void> {
    if (!response.body) return;
    const parser = createParser({ onEvent: (message) => this.receive(message) });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const cancel = () => void reader.cancel().catch(() => undefined);
    signal.addEventListener('abort', cancel);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  private receive(message: EventSourceMessage): void {
    let event: LoggedEvent;
    try {
      event = JSON.parse(message.data) as LoggedEvent;
    } catch {
      return; // not an event of the log (the server sends only JSON, so this is a broken line)
    }
    if (message.id) this.after = message.id;
    this.pending.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const merged = [...this.recent, ...batch];
    this.recent = merged.length > this.capacity ? merged.slice(-this.capacity) : merged;
    for (const listener of this.listeners) listener(batch);
  }
}
