import pino, { type DestinationStream, type Logger } from 'pino';

/** A name that looks like it holds a secret (headers, query parameters). */
export const looksLikeCredential = (name: string): boolean =>
  /auth|cookie|token|secret|passw|signature|session|credential|api[-_]?key|^key$/i.test(name);

export const redacted = '[redacted]';

/**
 * Free text (an error's message) with the password of every URL in it (`scheme://user:pass@`)
 * and every `password=` setting (a libpq connection string) replaced.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/]*@/gi, `$1${redacted}@`)
    .replace(/(\bpassword\s*=\s*)('[^']*'|[^\s&;]+)/gi, `$1${redacted}`);
}

/** A copy of a headers object with every credential-looking header's value replaced. */
export function censorHeaders(headers: unknown): unknown {
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return headers;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      looksLikeCredential(name) ? redacted : (value as unknown),
    ]),
  );
}

type Serialized = Record<string, unknown>;
const withCensoredHeaders = (value: unknown): unknown =>
  value && typeof value === 'object' && 'headers' in value
    ? { ...value, headers: censorHeaders((value as Serialized)['headers']) }
    : value;

/**
 * pino's error serializer, then the headers an HTTP client's error may carry (its own, its
 * request config's, its response's) censored — copies, the error itself is left alone.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (!serialized || typeof serialized !== 'object') return serialized;
  const out = withCensoredHeaders(serialized) as Serialized;
  for (const key of ['config', 'request', 'response'])
    if (out[key] && typeof out[key] === 'object') out[key] = withCensoredHeaders(out[key]);
  return out;
}

/**
 * Credentials in what we log. Request lines never carry headers (request-log.ts); beyond them:
 * - the `headers`, `err`, `req`, `res`, `request` and `response` serializers censor every
 *   header whose name looks like a credential (they run only on lines that have such a key, so
 *   other lines pay nothing);
 * - pino's `redact` censors the usual credential headers where a raw request, response or
 *   client error puts them (explicit paths: wildcards cost ~10x more on every line).
 */
export const credentialHeaders = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
] as const;
const redactPaths = credentialHeaders.flatMap((name) =>
  ['headers', 'req.headers', 'res.headers', 'request.headers', 'err.config.headers'].map(
    (at) => `${at}["${name}"]`,
  ),
);
export const logSerializers = {
  headers: censorHeaders,
  err: serializeError,
  req: withCensoredHeaders,
  res: withCensoredHeaders,
  request: withCensoredHeaders,
  response: withCensoredHeaders,
};

/** Structured JSON logs; `service` tells the catalog's lines from a replicator's. */
export function createLogger(
  service: string,
  level = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: logSerializers,
    redact: { paths: redactPaths, censor: redacted },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type { Logger };
