import 'reflect-metadata';
import { runService } from '@snapferry/platform';
import { startReplicator } from './start-replicator';

/** `npm run start:replicator`: copies for REPLICATOR_REGIONS until SIGINT/SIGTERM. */
runService('replicator', () => startReplicator(), {
  stoppingMessage: 'stopping; copies in flight resume on the next start',
});
