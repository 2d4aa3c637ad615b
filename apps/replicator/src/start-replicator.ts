import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { parseReplicationMessage } from '@snapferry/contracts';
import {
  AmqpConnectionManager,
  AmqpTransport,
  replicatorCancelQueue,
  replicatorDeadLetteredQueue,
  replicatorQueue,
} from '@snapferry/messaging';
import {
  createLogger,
  createMetricsRegistry,
  httpsOptions,
  loadConfig,
  type Logger,
  nestLogger,
  requestLogger,
  serviceUrl,
  type SnapferryConfig,
} from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { ReplicatorModule } from './replicator.module';
import { storeAuth } from './store/store-auth';
import { storeOpenApi } from './store/store-openapi';
import { StoreSignatures } from './store/store-signatures';

export interface RunningReplicator {
  app: INestApplication;
  config: SnapferryConfig;
  logger: Logger;
  url: string;
  /** `app.close()`: running copies abort (beforeApplicationShutdown), then HTTP and the consumer, then the connections. */
  stop(): Promise<void>;
}

/** `npm run start:replicator`: one process serving REPLICATOR_REGIONS (default: every region). */
export async function startReplicator(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningReplicator> {
  const config = loadConfig(env);
  const logger = createLogger('replicator', config.logLevel);
  const metrics = createMetricsRegistry('replicator');
  const app = await NestFactory.create(ReplicatorModule.register({ config, logger, metrics }), {
    logger: nestLogger(logger),
    bodyParser: false, // the store routes read their (signed) bodies themselves
    abortOnError: false, // a start-up failure rejects (main.ts reports it) instead of exiting here
    ...httpsOptions(config.tls),
  });
  try {
    // A bucket this replicator reaches directly that cannot be used stops the start, saying why.
    await app.get(RegionStores).checkObjectStores();
    app.use(requestLogger(logger, { quietPaths: ['/health', '/metrics'] }));
    app.use('/v1/store/openapi.json', (_req: unknown, res: { json(body: unknown): void }) =>
      res.json(storeOpenApi),
    );
    app.use('/v1/store', storeAuth(config.regionSecret, app.get(StoreSignatures), logger));
    // Prefetch per queue = copies in flight per region; the rest wait in the queue. The limit
    // itself is kept by the runner (its slots and the region's claims), since a lost channel's
    // copies go on while a reopened channel is handed as many messages again.
    app.connectMicroservice({
      strategy: new AmqpTransport(app.get(AmqpConnectionManager), {
        queues: config.replicatorRegions.flatMap((r) => [
          replicatorQueue(r),
          replicatorCancelQueue(r),
          replicatorDeadLetteredQueue(r),
        ]),
        prefetch: config.maxConcurrentCopies,
        validate: (envelope) => parseReplicationMessage(envelope),
        logger,
      }),
    });
    await app.startAllMicroservices();
    await app.listen(config.replicatorMetricsPort, '0.0.0.0');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const url = serviceUrl(app.getHttpServer() as Server, config.tls);
  logger.info({ url, regions: config.replicatorRegions }, 'replicator running');
  return { app, config, logger, url, stop: () => app.close() };
}
