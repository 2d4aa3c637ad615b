import { Client } from 'pg';
import { notificationChannel } from './append';

/** What an append announces on commit. `reconnected` means notifications may have been missed: poll. */
export type EventNotification =
  { kind: 'appended'; lastGlobalPosition: bigint; streamIds: string[] } | { kind: 'reconnected' };

export type EventNotificationsOptions = {
  channel?: string;
  /** First pause before reconnecting; doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  onError?: (error: unknown) => void;
};

type Listener = (notification: EventNotification) => void;

function parse(payload: string | undefined): EventNotification {
  try {
    const body = JSON.parse(payload ?? '{}') as {
      lastGlobalPosition?: string;
      streamIds?: string[];
    };
    return {
      kind: 'appended',
      lastGlobalPosition: BigInt(body.lastGlobalPosition ?? 0),
      streamIds: body.streamIds ?? [],
    };
  } catch {
    return { kind: 'appended', lastGlobalPosition: 0n, streamIds: [] };
  }
}

/**
 * LISTENs for appends on a dedicated connection (a pooled one would lose the LISTEN when
 * returned) and reconnects when it drops. A hint only: readers still read from their checkpoint.
 */
export class EventNotifications {
  private client: Client | undefined;
  private readonly listeners = new Set<Listener>();
  private closed = false;
  private delay: number;
  private retry: NodeJS.Timeout | undefined;
  private readonly channel: string;

  constructor(
    private readonly url: string,
    private readonly options: EventNotificationsOptions = {},
  ) {
    this.channel = options.channel ?? notificationChannel;
    this.delay = options.reconnectDelayMs ?? 500;
  }

  /** Resolves once listening; a first connection failure rejects (later ones are retried). */
  async start(): Promise<void> {
    await this.connect();
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves on the next notification, after `timeoutMs`, or when `signal` aborts. */
  waitForNext(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const unsubscribe = this.subscribe(done);
      if (signal?.aborted) done();
      else signal?.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch((error: unknown) => this.options.onError?.(error));
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      application_name: 'snapferry-listener',
    });
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, undefined));
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.emit(parse(message.payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (error) {
      // A connection that does not listen is of no use: close it, or every retry leaks one.
      await client.end().catch((endError: unknown) => this.options.onError?.(endError));
      throw error;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.delay = this.options.reconnectDelayMs ?? 500;
  }

  private dropped(client: Client, error: unknown): void {
    if (error !== undefined) this.options.onError?.(error);
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.end().catch((endError: unknown) => this.options.onError?.(endError));
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.emit({ kind: 'reconnected' }),
        (error: unknown) => {
          this.options.onError?.(error);
          this.delay = Math.min(this.delay * 2, this.options.maxReconnectDelayMs ?? 10_000);
          this.scheduleReconnect();
        },
      );
    }, this.delay);
  }

  private emit(notification: EventNotification): void {
    for (const listener of [...this.listeners]) listener(notification);
  }
}
