import type { Logger } from './logger';

/** What a service's `start…()` returns, as far as its `main.ts` is concerned. */
export interface StoppableService {
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * A service's `main.ts`: starts it, stops it cleanly on SIGINT/SIGTERM (exit 0, or 1 when
 * the stop fails), and reports a configuration or start-up failure in one line on stderr,
 * `snapferry <name> failed to start: <why>`, with exit code 1.
 */
export function runService(
  name: string,
  start: () => Promise<StoppableService>,
  { stoppingMessage = 'stopping' }: { stoppingMessage?: string } = {},
): void {
  start()
    .then((service) => {
      const stop = (signal: string) => {
        service.logger.info({ signal }, stoppingMessage);
        service
          .stop()
          .then(() => process.exit(0))
          .catch((error: unknown) => {
            service.logger.error({ err: error }, 'unclean stop');
            process.exit(1);
          });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `snapferry ${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
}
