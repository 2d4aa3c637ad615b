import 'reflect-metadata';
import { startReplicator } from './start-replicator';

/** `npm run start:replicator`: copies for REPLICATOR_REGIONS until SIGINT/SIGTERM. */
startReplicator()
  .then((replicator) => {
    const stop = (signal: string) => {
      replicator.logger.info({ signal }, 'stopping; copies in flight resume on the next start');
      replicator
        .stop()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          replicator.logger.error({ err: error }, 'unclean stop');
          process.exit(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  })
  .catch((error: unknown) => {
    process.stderr.write(
      `snapferry replicator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
