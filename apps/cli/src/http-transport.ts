import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { watched } from './watched';

/** What the API client sends: the part of fetch's RequestInit it uses. */
export interface HttpInit {
  method: string;
  headers: Record<string, string>;
  /** JSON text, bytes in memory, or a stream (sent chunked unless `content-length` is given). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

/** An answer's body: read once, or cancelled (the connection dropped). */
export type HttpBody = AsyncIterable<Uint8Array> & { cancel(): Promise<void> };

/** What the API client reads of an answer: the part of fetch's Response it uses (a Response is one). */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  readonly body: HttpBody | null;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/**
 * A request: rejects only when no answer came, with a TypeError whose cause is the socket's
 * error, or a RequestBodyError where the body itself failed (a file cut short, a stream that
 * does not parse).
 */
export type Fetch = (url: string, init: HttpInit) => Promise<HttpAnswer>;

/** A request body that failed while it was being sent: its own error, not the network's. */
export class RequestBodyError extends Error {
  constructor(override readonly cause: unknown) {
    super('the request body failed', { cause });
  }
}

/** Like undici's body timeout: a connection silent this long (no answer, or a stalled body) is given up. */
const idleTimeoutMs = 300_000;

/**
 * Requests over node:http and node:https, with one keep-alive connection pool per client (idle
 * sockets never keep the process alive). Not the global fetch: loading it (undici, its `Response`
 * and its WebAssembly parser) costs a CLI command ~60 ms before the first request and ~80–150 ms
 * more before the process can exit, which is most of what a small command takes. Bytes in
 * memory go to the socket as they are (fetch copied a body twice); with `ca`
 * (SNAPFERRY_CA_FILE) the system's CAs are trusted and that one besides.
 */
export function httpFetch(ca?: string): Fetch {
  const http: Transport = { request: httpRequest, agent: new HttpAgent({ keepAlive: true }) };
  let https: Promise<Transport> | undefined;
  return async (url, init) => {
    const target = new URL(url);
    // TLS is loaded only for an https URL (~6 ms of every command's start otherwise).
    const { request: send, agent } =
      target.protocol === 'https:' ? await (https ??= httpsTransport(ca)) : http;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const headers = { ...init.headers };
      const { body } = init;
      const whole =
        typeof body === 'string'
          ? Buffer.from(body)
          : body instanceof Uint8Array
            ? body
            : undefined;
      if (whole && headers['content-length'] === undefined)
        headers['content-length'] = String(whole.byteLength);
      const request = send(
        target,
        {
          method: init.method,
          headers,
          agent,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (message) => {
          // An answer that ends before the request's body was all sent (a refusal mid-upload)
          // means the rest is not wanted: stop sending, or a server that keeps the connection
          // open without reading would keep it, and this process, waiting for a drain.
          message.once('end', () => {
            if (!request.writableFinished) request.destroy();
          });
          resolve(new NodeAnswer(message, init.method));
        },
      );
      request.setTimeout(idleTimeoutMs, () =>
        request.destroy(
          Object.assign(new Error(`no answer for ${idleTimeoutMs / 1000} s`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      request.on('error', (error) => reject(new TypeError('request failed', { cause: error })));
      if (body === undefined || typeof body === 'string' || body instanceof Uint8Array)
        request.end(whole);
      // As the socket takes it; a request torn down meanwhile (answered, dropped) stops the body.
      // A failed pipeline aborts the request without an 'error' event: rejected here (a no-op
      // where the answer came first), with the body's own error where the body failed.
      else {
        const failed: { error?: unknown } = {};
        pipeline(watched(body, failed), request).catch((error: unknown) => {
          request.destroy(error as Error);
          reject(
            'error' in failed
              ? new RequestBodyError(failed.error)
              : new TypeError('request failed', { cause: error }),
          );
        });
      }
    });
  };
}

/** A module's request function and the keep-alive Agent it sends through. */
interface Transport {
  request(
    url: URL,
    options: RequestOptions,
    answered: (message: IncomingMessage) => void,
  ): ClientRequest;
  agent: HttpAgent;
}

/** node:https with a keep-alive Agent that trusts `ca` besides the system's CAs. */
async function httpsTransport(ca: string | undefined): Promise<Transport> {
  const [{ Agent, request }, { rootCertificates }] = await Promise.all([
    import('node:https'),
    import('node:tls'),
  ]);
  const agent = new Agent({ keepAlive: true, ...(ca ? { ca: [...rootCertificates, ca] } : {}) });
  return { request, agent };
}

class NodeAnswer implements HttpAnswer {
  readonly body: HttpBody | null;

  constructor(
    private readonly message: IncomingMessage,
    method: string,
  ) {
    const empty = method === 'HEAD' || this.status === 204 || this.status === 304;
    if (empty) message.resume();
    this.body = empty
      ? null
      : {
          [Symbol.asyncIterator]: () =>
            message[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
          cancel: async () => {
            message.destroy();
          },
        };
  }

  get status(): number {
    return this.message.statusCode ?? 0;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return this.message.statusMessage ?? '';
  }

  readonly headers = {
    get: (name: string): string | null => {
      const value = this.message.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };

  async text(): Promise<string> {
    if (!this.body) return '';
    const pieces: Uint8Array[] = [];
    for await (const piece of this.body) pieces.push(piece);
    return Buffer.concat(pieces).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}
