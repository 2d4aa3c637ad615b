import pino, { type Logger } from 'pino';

/** Structured JSON logs; `service` tells the catalog's lines from a replicator's. */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
export type { Logger };
