import { rootCertificates } from 'node:tls';
import type { CliConfig } from './config';
import { ApiError, UnreachableError } from './errors';

export type Fetch = typeof fetch;
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
 * The catalog's HTTP API over the global fetch: errors become ApiError (exit 1) carrying the
 * API's code; a refused or dropped connection becomes UnreachableError (exit 4).
 */
export class ApiClient {
  private readonly fetchFn: Fetch;

  constructor(
    readonly config: CliConfig,
    fetchFn?: Fetch,
  ) {
    // Chunks go over undici's request when the CLI talks to the network itself: fetch copies a
    // byte body twice on its way to the socket (a 1 GiB upload paid ~4 s of CPU and GC for it).
    const undici = undiciTrusting(config.ca);
    this.fetchFn =
      fetchFn ?? withFastBytes(config.ca ? fetchTrusting(config.ca, undici) : fetch, undici);
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${this.config.url}${path}${qs ? `?${qs}` : ''}`;
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.apiKey}`,
      ...options.headers,
    };
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
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
      init.body = options.stream.body; // undici streams async iterables
      init.duplex = 'half';
    }
    if (options.signal) init.signal = options.signal;
    let response: Response;
    try {
      response = await this.fetchFn(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
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
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(reason);
    return new UnreachableError(
      this.config.url,
      untrusted
        ? `${reason} (the API's certificate is not trusted: set SNAPFERRY_CA_FILE to the CA that signed it)`
        : reason,
    );
  }
}

type UndiciModule = typeof import('undici');

/** undici and, with `ca`, the one Agent that trusts it: loaded on first use, once per client. */
type LoadUndici = () => Promise<{
  fetch: UndiciModule['fetch'];
  request: UndiciModule['request'];
  dispatcher: InstanceType<UndiciModule['Agent']> | undefined;
}>;

/**
 * Loads undici only when a request needs it (~0.1 s of start-up that commands which never send
 * a chunk or use a CA do not pay), with an Agent trusting `ca` besides the system's CAs.
 */
function undiciTrusting(ca: string | undefined): LoadUndici {
  let loaded: ReturnType<LoadUndici> | undefined;
  return () =>
    (loaded ??= import('undici').then(({ Agent, fetch, request }) => ({
      fetch,
      request,
      dispatcher: ca ? new Agent({ connect: { ca: [...rootCertificates, ca] } }) : undefined,
    })));
}

/**
 * fetch that also trusts `ca` (SNAPFERRY_CA_FILE) besides the system's CAs: undici's own fetch
 * with an Agent holding the extra CA (the global fetch takes no CA).
 */
export function fetchTrusting(ca: string, undici: LoadUndici = undiciTrusting(ca)): Fetch {
  return async (input, init) => {
    const { dispatcher, fetch: undiciFetch } = await undici();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response: Response = await undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
    return response;
  };
}

/**
 * `fetch`, except that a request whose body is bytes in memory goes through undici's `request`
 * (which writes the buffer to the socket as it is); the answer comes back as a `Response`.
 */
function withFastBytes(fetchFn: Fetch, undici: LoadUndici): Fetch {
  return async (input, init) => {
    if (!(init?.body instanceof Uint8Array) || typeof input !== 'string')
      return fetchFn(input, init);
    const { request, dispatcher } = await undici();
    const answer = await request(input, {
      method: (init.method ?? 'PUT') as 'PUT',
      headers: init.headers as Record<string, string>,
      body: init.body,
      signal: init.signal ?? undefined,
      ...(dispatcher ? { dispatcher } : {}),
    }).catch((error: unknown) => {
      throw Object.assign(new TypeError('fetch failed'), { cause: error });
    });
    const text = await answer.body.text();
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    return new Response(answer.statusCode === 204 ? null : text, {
      status: answer.statusCode,
      headers,
    });
  };
}

export async function toApiError(response: Response): Promise<ApiError> {
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
