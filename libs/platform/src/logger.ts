import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Header names that carry credentials. Request logs never dump headers (see request-log.ts);
 * this list is the second line of defence for anything else that logs a headers object.
 */
export const credentialHeaders = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
  'x-tc-token',
  'x-snapferry-region-secret',
] as const;

/** A name that looks like it holds a secret (headers, query parameters). */
export const looksLikeCredential = (name: string): boolean =>
  /auth|cookie|token|secret|passw|signature|session|credential|api[-_]?key|^key$/i.test(name);

/** Where a headers object is found in what we log: top level, in req/res/err, one level deeper. */
const headerPaths = credentialHeaders.flatMap((name) =>
  ['headers', '*.headers', '*.*.headers'].map((at) => `${at}["${name}"]`),
);

export const redacted = '[redacted]';

/**
 * Structured JSON logs; `service` tells the catalog's lines from a replicator's. Credential
 * headers are censored wherever a `headers` object appears in a log line (pino's `redact`).
 */
export function createLogger(
  service: string,
  level = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: headerPaths, censor: redacted },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type { Logger };
