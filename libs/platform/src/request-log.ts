import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pinoHttp, { type HttpLogger } from 'pino-http';
import { looksLikeCredential, redacted, serializeError, type Logger } from './logger';

export interface RequestLogOptions {
  /** The request's id (also its correlation id); default: a valid `x-request-id`, else a UUID. */
  requestId?: (req: IncomingMessage) => string;
  /** The authenticated caller's account, once known (read when the response is finished). */
  accountId?: (req: IncomingMessage) => string | undefined;
  /** Paths that are never logged (health probes and scrapes). */
  quietPaths?: string[];
  /** Fields every line logged through `req.log` carries (e.g. the correlation id). */
  bindings?: (req: IncomingMessage) => object;
}

/** Values of query parameters whose names look like credentials are replaced. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url?.includes('?')) return url;
  return url.replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, sep: string, name: string) =>
    looksLikeCredential(decodeURIComponentSafe(name)) ? `${sep}${name}=${redacted}` : all,
  );
}

const decodeURIComponentSafe = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

const validId = /^[A-Za-z0-9._:-]{1,100}$/;
const incomingRequestId = (req: IncomingMessage): string => {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' && validId.test(id) ? id : randomUUID();
};

const header = (req: IncomingMessage | undefined, name: string) => {
  const value = req?.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  remoteAddress: string;
  raw: IncomingMessage;
}

/**
 * One line per finished request with what an operator needs and nothing else: method, url,
 * status, duration (`responseTime`, ms), request id, remote address, user agent (and the
 * proxy's `x-forwarded-for`), the caller's account. No header dump: the credentials a request
 * carries (Authorization, cookies, API-key headers) never reach the log.
 */
export function requestLogger(logger: Logger, options: RequestLogOptions = {}): HttpLogger {
  const quiet = new Set(options.quietPaths ?? []);
  const withAccount = (req: IncomingMessage, value: object) => {
    const accountId = options.accountId?.(req);
    return accountId ? { ...value, accountId } : value;
  };
  return pinoHttp({
    logger,
    genReqId: options.requestId ?? incomingRequestId,
    ...(options.bindings ? { customProps: options.bindings } : {}),
    autoLogging: { ignore: (req) => quiet.has((req.url ?? '').split('?')[0] ?? '') },
    serializers: {
      req: (req: SerializedRequest) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
        userAgent: header(req.raw, 'user-agent'),
        forwardedFor: header(req.raw, 'x-forwarded-for'),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
    customSuccessObject: (req: IncomingMessage, _res: ServerResponse, value: object) =>
      withAccount(req, value),
    customErrorObject: (req: IncomingMessage, _res: ServerResponse, _err: Error, value: object) =>
      withAccount(req, value),
  });
}
