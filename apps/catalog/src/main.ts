import 'reflect-metadata';
import { startCatalog } from './start-catalog';

/** `npm run start:catalog`: the HTTP API, outbox relay, projections and progress consumer. */
startCatalog()
  .then((catalog) => {
    const stop = (signal: string) => {
      catalog.logger.info({ signal }, 'stopping');
      catalog
        .stop()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          catalog.logger.error({ err: error }, 'unclean stop');
          process.exit(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  })
  .catch((error: unknown) => {
    // Configuration and start-up failures: one clear line, then a non-zero exit.
    process.stderr.write(
      `snapferry catalog failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
