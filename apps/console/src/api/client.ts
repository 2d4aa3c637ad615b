/** The console's only way to the catalog: the public v1 API, the key in the Authorization header. */

/** An answer that was not a success, in the documented error shape (or a network failure). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export type Query = Record<string, string | number | undefined>;

export interface Api {
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
  /** A raw request with the key (the event stream reads the body itself). */
  open(path: string, query: Query, signal: AbortSignal): Promise<Response>;
}

export const withQuery = (path: string, query: Query = {}): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
};

interface ErrorShape {
  error?: { code?: unknown; message?: unknown; requestId?: unknown };
}

async function failureOf(response: Response): Promise<ApiFailure> {
  const body = (await response.json().catch(() => ({}))) as ErrorShape;
  const error = body.error ?? {};
  return new ApiFailure(
    response.status,
    typeof error.code === 'string' ? error.code : `Http${response.status}`,
    typeof error.message === 'string'
      ? error.message
      : `the catalog answered ${response.status} ${response.statusText}`,
    typeof error.requestId === 'string' ? error.requestId : undefined,
  );
}

/**
 * `onUnauthorized` runs when the catalog no longer accepts the key (401), so the console can
 * sign out instead of showing errors on every page.
 */
export function createApi(apiKey: string, onUnauthorized: () => void = () => undefined): Api {
  const send = async (
    method: string,
    path: string,
    init: { body?: unknown; signal?: AbortSignal; accept?: string } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: init.accept ?? 'application/json',
    };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiFailure(
        0,
        'NetworkError',
        'the catalog did not answer; check that it is running',
      );
    }
    if (response.ok) return response;
    const failure = await failureOf(response);
    if (response.status === 401) onUnauthorized();
    throw failure;
  };
  return {
    get: async <T>(path: string, query?: Query, signal?: AbortSignal) =>
      (await (await send('GET', withQuery(path, query), { signal })).json()) as T,
    post: async <T>(path: string, body: unknown) =>
      (await (await send('POST', path, { body })).json()) as T,
    delete: async (path: string) => {
      await send('DELETE', path);
    },
    open: (path, query, signal) =>
      send('GET', withQuery(path, query), { signal, accept: 'text/event-stream' }),
  };
}

/** An abort is how a page says it no longer needs an answer; it is not an error to show. */
export const isAbort = (error: unknown): boolean =>
  error instanceof DOMException && error.name === 'AbortError';
