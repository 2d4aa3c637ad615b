import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  createEventStoreDataSource,
  EventNotifications,
  PostgresEventStore,
} from '@snapferry/event-store';
import {
  createLogger,
  createMetricsRegistry,
  ensureDatabase,
  httpsOptions,
  loadConfig,
  type Logger,
  nestLogger,
  serviceUrl,
  type SnapferryConfig,
} from '@snapferry/platform';
import { parseReplicationMessage } from '@snapferry/contracts';
import {
  AmqpConnectionManager,
  AmqpTransport,
  CATALOG_PROGRESS_QUEUE,
  ConfirmPublisher,
  declareTopology,
} from '@snapferry/messaging';
import { CatalogModule } from './catalog.module';
import { configureHttp } from './http/http-setup';
import { OutboxRelay } from './outbox/outbox-relay';
import { ProjectionsController } from './admin/projections.controller';
import { ProgressController } from './progress/progress.controller';
import { RecordProgress } from './progress/record-progress';
import { ProjectionWatermark } from './read-models/projection-watermark';
import { Projector } from './read-models/projector';
import { ReplicationStateGauge } from './read-models/replication-state-gauge';
import { DataReaper } from './data-reaper/data-reaper';
import { RegionStores } from '@snapferry/storage';
import { catalogMigrations } from './store/catalog-migrations';

export interface RunningCatalog {
  app: INestApplication;
  config: SnapferryConfig;
  logger: Logger;
  url: string;
  stop(): Promise<void>;
}

/** Migrations run under an advisory lock so that several catalog instances can start together. */
async function migrate(config: SnapferryConfig): Promise<DataSource> {
  await ensureDatabase(config.databaseUrl);
  const lock = new Client({ connectionString: config.databaseUrl });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('snapferry-catalog-migrations'))`);
    const dataSource = createEventStoreDataSource(config.databaseUrl, catalogMigrations, {
      applicationName: 'snapferry-catalog',
    });
    await dataSource.initialize();
    return dataSource;
  } finally {
    // Ending the connection frees the advisory lock; a failure here means it is gone already.
    await lock.end().catch(() => undefined);
  }
}

export async function startCatalog(env: NodeJS.ProcessEnv = process.env): Promise<RunningCatalog> {
  const config = loadConfig(env);
  const logger = createLogger('catalog', config.logLevel);
  const dataSource = await migrate(config);
  const eventStore = new PostgresEventStore(dataSource);
  const metrics = createMetricsRegistry('catalog');
  const notifications = new EventNotifications(config.databaseUrl, {
    onError: (err) => logger.warn({ err }, 'event notifications connection lost; reconnecting'),
  });
  await notifications.start();
  new ReplicationStateGauge(eventStore, metrics);
  const watermark = new ProjectionWatermark();
  const projector = new Projector(eventStore, watermark, notifications, logger, metrics);
  watermark.poll = () => projector.storedCheckpoint();

  const amqp = new AmqpConnectionManager({
    url: config.amqpUrl,
    connectionName: `snapferry-catalog-${process.pid}`,
    logger,
    setup: (channel) =>
      declareTopology(channel, { catalogProgress: true, deliveryLimit: config.deliveryLimit }),
  });
  await amqp.start();
  const publisher = await new ConfirmPublisher(amqp, { logger }).start();
  const relay = new OutboxRelay(
    eventStore,
    config.databaseUrl,
    amqp,
    publisher,
    notifications,
    logger,
    config.deliveryLimit,
    metrics,
  );

  // The catalog touches no region's store itself when the region has a storeUrl: uploads,
  // reads and garbage collection go to the region's store service.
  const regionStores = new RegionStores({
    dataDir: config.dataDir,
    regions: config.regions,
    secret: config.regionSecret,
    retryForMs: config.regionRetryMs,
  });
  const reaper = new DataReaper(
    eventStore,
    regionStores,
    notifications,
    logger,
    config.gcGraceMs,
    config.gcIntervalMs,
  );

  const app = await NestFactory.create<NestExpressApplication>(
    CatalogModule.register({
      config,
      logger,
      eventStore,
      metrics,
      watermark,
      notifications,
      regionStores,
      healthChecks: {
        database: async () => (await eventStore.query('SELECT 1')).length === 1,
        broker: async () => amqp.isConnected() && publisher.isReady(),
      },
      extraControllers: [ProgressController, ProjectionsController],
      extraProviders: [RecordProgress, { provide: Projector, useValue: projector }],
    }),
    { logger: nestLogger(logger), bodyParser: false, ...httpsOptions(config.tls) },
  );
  configureHttp(app, logger, metrics);
  // Progress events arrive through the custom AMQP transport (manual acks, see libs/messaging).
  app.connectMicroservice(
    {
      strategy: new AmqpTransport(amqp, {
        queues: [CATALOG_PROGRESS_QUEUE],
        prefetch: 10,
        validate: (envelope) => parseReplicationMessage(envelope),
        logger,
      }),
    },
    { inheritAppConfig: false },
  );
  await app.startAllMicroservices();
  await app.listen(config.port, '0.0.0.0');
  const url = serviceUrl(app.getHttpServer(), config.tls);
  projector.start();
  reaper.start();
  await relay.start();
  logger.info({ url, docs: `${url}/docs` }, 'catalog listening');

  return {
    app,
    config,
    logger,
    url,
    stop: async () => {
      await relay.stop();
      await projector.stop();
      await reaper.stop();
      await app.close();
      await publisher.close();
      await amqp.close();
      await notifications.close();
      await dataSource.destroy();
    },
  };
}
