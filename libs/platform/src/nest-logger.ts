import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Nest's own messages (bootstrap, routes, lifecycle, errors) in the service's structured log;
 * its chatty `log` level becomes debug. Pass as `NestFactory.create(module, { logger })`.
 */
export const nestLogger = (logger: Logger): LoggerService => ({
  log: (message: unknown, context?: string) => logger.debug({ context }, String(message)),
  error: (message: unknown, trace?: string, context?: string) =>
    logger.error({ context, trace }, String(message)),
  warn: (message: unknown, context?: string) => logger.warn({ context }, String(message)),
  debug: (message: unknown, context?: string) => logger.debug({ context }, String(message)),
  verbose: (message: unknown, context?: string) => logger.trace({ context }, String(message)),
});
