import type { CliConfig } from './config';
import { ApiError, networkReason, UnreachableError } from './errors';
import {
  httpFetch,
  RequestBodyError,
  type Fetch,
  type HttpAnswer,
  type HttpInit,
} from './http-transport';

export type { Fetch, HttpAnswer } from './http-transport';
export type Query = Record<string, string | number | undefined>;

export interface SendOptions {
  query?: Query;
  json?: unknown;
  /**
   * A streamed body (sent as application/octet-stream with the given length; without one,
   * chunked: a stream whose length nobody knows, such as stdin).
   */
  stream?: { body: AsyncIterable<Uint8Array>; length?: number };
  /** Bytes in memory (sent as application/octet-stream), e.g. one chunk. */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Non-2xx statuses the caller handles itself (e.g. 416 for a finished resume). */
  accept?: number[];
}

/**
 * The catalog's HTTP API (over node:http, see httpFetch; unit tests hand in a fake): errors become
 * ApiError (exit 1) carrying the API's code; a refused or dropped connection becomes
 * UnreachableError (exit 4).
 */
export class ApiClient {
  private readonly fetchFn: Fetch;

  constructor(
    readonly config: CliConfig,
    fetchFn?: Fetch,
  ) {
    this.fetchFn = fetchFn ?? httpFetch(config.ca);
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${this.config.url}${path}${qs ? `?${qs}` : ''}`;
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.apiKey}`,
      ...options.headers,
    };
    const init: HttpInit = { method, headers };
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.json);
    } else if (options.bytes) {
      headers['content-type'] = 'application/octet-stream';
      init.body = options.bytes;
    } else if (options.stream) {
      headers['content-type'] = 'application/octet-stream';
      if (options.stream.length !== undefined)
        headers['content-length'] = String(options.stream.length);
      init.body = options.stream.body;
    }
    if (options.signal) init.signal = options.signal;
    let response: HttpAnswer;
    try {
      response = await this.fetchFn(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // The body's own failure (a cut stream, an unreadable file) says what went wrong.
      if (error instanceof RequestBodyError) throw error.cause;
      throw this.unreachable(error);
    }
    if (!response.ok && !options.accept?.includes(response.status))
      throw await toApiError(response);
    return response;
  }

  /** A JSON call; 204 answers resolve to undefined. */
  async json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, query ? { query } : {});
  }

  /** A network failure (refused, reset, dropped mid-body) in one line with its cause. */
  unreachable(error: unknown): UnreachableError {
    const reason = networkReason(error);
    const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(reason);
    return new UnreachableError(
      this.config.url,
      untrusted
        ? `${reason} (the API's certificate is not trusted: set SNAPFERRY_CA_FILE to the CA that signed it)`
        : reason,
    );
  }
}

export async function toApiError(response: HttpAnswer): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; requestId?: unknown };
    };
    const error = body.error;
    if (error && typeof error.code === 'string')
      return new ApiError(
        response.status,
        error.code,
        typeof error.message === 'string' ? error.message : response.statusText,
        typeof error.requestId === 'string' ? error.requestId : undefined,
      );
  } catch {
    // not the API's error shape (a proxy, say): fall through
  }
  return new ApiError(
    response.status,
    `Http${response.status}`,
    text.slice(0, 200).trim() || response.statusText || 'no body',
  );
}
