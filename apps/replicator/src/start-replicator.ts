import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { parseReplicationMessage } from '@snapferry/contracts';
import {
  AmqpConnectionManager,
  AmqpTransport,
  ConfirmPublisher,
  declareTopology,
  replicatorDeadLetteredQueue,
  replicatorQueue,
} from '@snapferry/messaging';
import {
  createLogger,
  createMetricsRegistry,
  ensureDatabase,
  type HealthChecks,
  HealthModule,
  httpsOptions,
  loadConfig,
  type Logger,
  nestLogger,
  requestLogger,
  serviceUrl,
  type SnapferryConfig,
} from '@snapferry/platform';
import { RegionStores, Throttle } from '@snapferry/storage';
import { type RegionContext, ReplicationRunner } from './copy/replication-runner';
import { JobStore } from './jobs/job-store';
import { ReplicationController } from './replication.controller';
import { storeAuth } from './store/store-auth';
import {
  STORE_LOGGER,
  STORE_METRICS,
  STORE_REGIONS,
  StoreController,
  type StoreRegions,
} from './store/store.controller';
import { storeOpenApi } from './store/store-openapi';

export interface RunningReplicator {
  app: INestApplication;
  config: SnapferryConfig;
  logger: Logger;
  url: string;
  stop(): Promise<void>;
}

@Module({})
class ReplicatorModule {
  static register(
    runner: ReplicationRunner,
    checks: HealthChecks,
    metrics: Registry,
    store: StoreRegions,
    logger: Logger,
  ): DynamicModule {
    return {
      module: ReplicatorModule,
      imports: [HealthModule.register({ checks, metrics })],
      controllers: [ReplicationController, StoreController],
      providers: [
        { provide: ReplicationRunner, useValue: runner },
        { provide: STORE_REGIONS, useValue: store },
        { provide: STORE_METRICS, useValue: metrics },
        { provide: STORE_LOGGER, useValue: logger },
      ],
    };
  }
}

/** `npm run start:replicator`: one process serving REPLICATOR_REGIONS (default: every region). */
export async function startReplicator(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningReplicator> {
  const config = loadConfig(env);
  const logger = createLogger('replicator', config.logLevel);
  await ensureDatabase(config.replicatorDatabaseUrl);
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.replicatorDatabaseUrl,
    poolSize: 10,
    applicationName: 'snapferry-replicator',
  });
  await dataSource.initialize();
  const metrics = createMetricsRegistry('replicator');

  // This process's regions are on its own disk; every other region with a storeUrl is reached
  // over the network, at its own replicator's store service.
  const stores = new RegionStores({
    dataDir: config.dataDir,
    regions: config.regions,
    secret: config.regionSecret,
    local: config.replicatorRegions,
    retryForMs: config.regionRetryMs,
  });
  const regions = new Map<string, RegionContext>();
  const jobStores = config.replicatorRegions.map((region) => new JobStore(dataSource, region));
  // A few regions' schemas at a time (a fresh database, all 21 default regions: about 1.5 s).
  for (let i = 0; i < jobStores.length; i += 4)
    await Promise.all(jobStores.slice(i, i + 4).map((jobs) => jobs.migrate()));
  for (const jobs of jobStores) {
    const region = jobs.region;
    regions.set(region, {
      region,
      jobs,
      target: stores.get(region),
      sourceStore: (source) => stores.get(source),
      concurrency: (source) => (stores.isRemote(source) ? 8 : 4),
      ...(config.maxBytesPerSec ? { throttle: new Throttle(config.maxBytesPerSec) } : {}),
    });
  }

  const amqp = new AmqpConnectionManager({
    url: config.amqpUrl,
    connectionName: `snapferry-replicator-${process.pid}`,
    logger,
    setup: (channel) =>
      declareTopology(channel, {
        catalogProgress: true,
        replicatorRegions: config.replicatorRegions,
        deliveryLimit: config.deliveryLimit,
      }),
  });
  await amqp.start();
  const publisher = await new ConfirmPublisher(amqp, { logger }).start();
  const runner = new ReplicationRunner(regions, publisher, logger, metrics);

  const app = await NestFactory.create(
    ReplicatorModule.register(
      runner,
      {
        database: async () => (await dataSource.query<unknown[]>('SELECT 1')).length === 1,
        broker: async () => amqp.isConnected() && publisher.isReady(),
      },
      metrics,
      { stores, served: new Set(config.replicatorRegions) },
      logger,
    ),
    // The store routes read their (signed) bodies themselves: no body parser.
    { logger: nestLogger(logger), bodyParser: false, ...httpsOptions(config.tls) },
  );
  app.use(requestLogger(logger, { quietPaths: ['/health', '/metrics'] }));
  app.use('/v1/store/openapi.json', (_req: unknown, res: { json(body: unknown): void }) =>
    res.json(storeOpenApi),
  );
  app.use('/v1/store', storeAuth(config.regionSecret, logger));
  // Prefetch per queue = copies in flight per region; the rest wait in the queue.
  app.connectMicroservice({
    strategy: new AmqpTransport(amqp, {
      queues: config.replicatorRegions.flatMap((r) => [
        replicatorQueue(r),
        replicatorDeadLetteredQueue(r),
      ]),
      prefetch: config.maxConcurrentCopies,
      validate: (envelope) => parseReplicationMessage(envelope),
      logger,
    }),
  });
  await app.startAllMicroservices();
  await app.listen(config.replicatorMetricsPort, '0.0.0.0');
  const url = serviceUrl(app.getHttpServer() as import('node:http').Server, config.tls);
  logger.info({ url, regions: config.replicatorRegions }, 'replicator running');

  return {
    app,
    config,
    logger,
    url,
    stop: async () => {
      runner.stop(); // running copies abort; their unacked requests return to the queue and resume later
      await app.close();
      await publisher.close();
      await amqp.close();
      await dataSource.destroy();
    },
  };
}
