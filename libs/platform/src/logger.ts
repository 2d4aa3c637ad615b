import pino, { type DestinationStream, type Logger } from 'pino';

/** Request headers that carry credentials: never written to a log. */
export const redactedLogPaths = ['req.headers.authorization', 'req.headers.cookie'];

/** Structured JSON logs; `service` tells the catalog's lines from a replicator's. */
export function createLogger(
  service: string,
  level = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedLogPaths, censor: '[redacted]' },
    },
    destination,
  );
}
export type { Logger };
