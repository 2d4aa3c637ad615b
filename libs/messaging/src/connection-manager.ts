import { connect, type Channel, type ChannelModel } from 'amqplib';
import { closeQuietly, errorDetails, silentLogger, type MessagingLogger } from './logger';
import { coalesceWrites } from './write-coalescer';

export interface BackoffOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
}

export interface AmqpConnectionOptions {
  /** AMQP_URL. */
  url: string;
  /** Shown by `rabbitmqctl list_connections name` and the management UI. */
  connectionName: string;
  logger?: MessagingLogger;
  /** Declares topology; runs on a fresh channel before every (re)connect is reported up. */
  setup?: (channel: Channel) => Promise<void>;
  backoff?: BackoffOptions;
  heartbeatSeconds?: number;
}

/** Runs on every (re)connect, after `setup`; publishers and consumers open their channels here. */
export type ConnectHook = (connection: ChannelModel) => Promise<void>;

export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

/** Delay before reconnect attempt `attempt` (1-based): exponential, capped, with ±20% jitter. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random = Math.random,
): number {
  const { initialDelayMs = 100, maxDelayMs = 10_000, factor = 2 } = options;
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 1));
  return Math.round(Math.min(maxDelayMs, base * (0.8 + 0.4 * random())));
}

/**
 * One AMQP connection that stays up: it reconnects with capped exponential backoff after
 * a broker restart or a lost socket and re-runs `setup` and every registered hook each
 * time, so topology, publisher channels and consumers come back on their own.
 */
export class AmqpConnectionManager {
  private connection: ChannelModel | undefined;
  private readonly hooks = new Set<ConnectHook>();
  private started: Promise<void> | undefined;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The connect in progress, if any: close() waits for it, or its connection outlives close(). */
  private connecting: Promise<void> | undefined;
  private wakeFirstWaiter: ((error?: Error) => void) | undefined;
  private readonly logger: MessagingLogger;
  /** Why the last connection was lost or refused. */
  private lastFailure: string | undefined;

  constructor(private readonly options: AmqpConnectionOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Resolves once the first connection (with setup and hooks) is up; retries until then. */
  start(): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      this.wakeFirstWaiter = (error) => (error ? reject(error) : resolve());
      this.connectNow();
    });
    return this.started;
  }

  isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** While not connected: why the last connection was lost or refused (for readiness checks). */
  whyDisconnected(): string | undefined {
    return this.connection ? undefined : this.lastFailure;
  }

  /** The live connection, if any. */
  current(): ChannelModel | undefined {
    return this.connection;
  }

  /**
   * Registers a hook for every future (re)connect and, when connected now, runs it at once
   * (its failure rejects here). Returns the function that unregisters it.
   */
  async register(hook: ConnectHook): Promise<() => void> {
    this.hooks.add(hook);
    const unregister = () => void this.hooks.delete(hook);
    const connection = this.connection;
    if (connection) {
      try {
        await hook(connection);
      } catch (error) {
        // Lost the connection meanwhile: the reconnect runs the hook again, nothing to report.
        if (this.connection !== connection) return unregister;
        unregister();
        throw error;
      }
    }
    return unregister;
  }

  /** Drops the current connection so that everything is set up again on a fresh one. */
  recycle(reason: string): void {
    const connection = this.connection;
    if (!connection) return;
    this.logger.warn(
      { reason, connectionName: this.options.connectionName },
      'recycling the AMQP connection',
    );
    void closeQuietly('the recycled AMQP connection', () => connection.close(), this.logger);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    // A connect under way closes its own connection once it sees `closed`; it never rejects.
    await this.connecting;
    this.wakeFirstWaiter?.(
      new ConnectionClosedError('connection manager closed before connecting'),
    );
    const connection = this.connection;
    this.connection = undefined;
    if (connection)
      await closeQuietly('the AMQP connection', () => connection.close(), this.logger);
    this.logger.info({ connectionName: this.options.connectionName }, 'AMQP connection closed');
  }

  private connectNow(): void {
    const attempt = this.tryConnect().finally(() => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
    this.connecting = attempt;
  }

  private async tryConnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.openAndSetUp();
      this.attempt = 0;
      this.wakeFirstWaiter?.();
      this.wakeFirstWaiter = undefined;
    } catch (error) {
      this.scheduleReconnect(error);
    }
  }

  private async openAndSetUp(): Promise<void> {
    const { url, connectionName, heartbeatSeconds = 10 } = this.options;
    const target = new URL(url);
    // Heartbeats find a dead peer that never closed the socket.
    if (!target.searchParams.has('heartbeat'))
      target.searchParams.set('heartbeat', String(heartbeatSeconds));
    const connection = await connect(target.toString(), {
      timeout: 10_000,
      clientProperties: { connection_name: connectionName },
    });
    if (this.closed) {
      await closeQuietly(
        'an AMQP connection opened after close()',
        () => connection.close(),
        this.logger,
      );
      throw new ConnectionClosedError('connection manager closed while connecting');
    }
    // A burst of publishes or acks leaves in one write (see write-coalescer.ts).
    if (!coalesceWrites(connection))
      this.logger.warn({}, 'amqplib internals changed: frames are written one by one');
    let lost: Error | undefined;
    // Without an 'error' listener a connection error would be thrown as uncaught.
    connection.on('error', (error: Error) =>
      this.logger.warn(errorDetails(error), 'AMQP connection error'),
    );
    connection.on('blocked', (reason: string) =>
      this.logger.warn({ reason }, 'AMQP connection blocked by the broker'),
    );
    connection.on('close', (error?: Error) => {
      lost = error ?? new Error('connection closed');
      this.onClosed(connection, lost);
    });
    try {
      if (this.options.setup) {
        const channel = await connection.createChannel();
        await this.options.setup(channel);
        await channel.close();
      }
      // Hooks registered while this runs are picked up too, so none misses this connection.
      const ran = new Set<ConnectHook>();
      for (let hook = this.nextHook(ran); hook; hook = this.nextHook(ran)) {
        ran.add(hook);
        await hook(connection);
      }
      if (lost) throw lost;
      if (this.closed)
        throw new ConnectionClosedError('connection manager closed while connecting');
    } catch (error) {
      await closeQuietly('a half-set-up AMQP connection', () => connection.close(), this.logger);
      throw error;
    }
    this.connection = connection;
    this.lastFailure = undefined;
    this.logger.info({ connectionName }, 'AMQP connected');
  }

  private nextHook(ran: Set<ConnectHook>): ConnectHook | undefined {
    for (const hook of this.hooks) if (!ran.has(hook)) return hook;
    return undefined;
  }

  private onClosed(connection: ChannelModel, error: Error): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.closed) return;
    this.scheduleReconnect(error);
  }

  private scheduleReconnect(error: unknown): void {
    if (this.closed || this.timer) return;
    this.lastFailure = error instanceof Error ? error.message || error.name : String(error);
    this.attempt += 1;
    const delayMs = backoffDelay(this.attempt, this.options.backoff);
    this.logger.warn(
      {
        ...errorDetails(error),
        attempt: this.attempt,
        delayMs,
        connectionName: this.options.connectionName,
      },
      'AMQP connection lost or refused; reconnecting',
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connectNow();
    }, delayMs);
  }
}
