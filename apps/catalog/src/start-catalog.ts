import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { parseReplicationMessage } from '@snapferry/contracts';
import { AmqpConnectionManager, AmqpTransport, CATALOG_PROGRESS_QUEUE } from '@snapferry/messaging';
import {
  type CatalogConfig,
  createLogger,
  createMetricsRegistry,
  httpsOptions,
  loadCatalogConfig,
  type Logger,
  nestLogger,
  serviceUrl,
} from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { CatalogModule } from './catalog.module';
import { configureHttp } from './http/http-setup';

export interface RunningCatalog {
  app: INestApplication;
  config: CatalogConfig;
  logger: Logger;
  url: string;
  /** `app.close()`: the workers stop (beforeApplicationShutdown), then HTTP and the consumer, then the connections. */
  stop(): Promise<void>;
}

/** The catalog in this process: `main.ts` runs it, tests start it on their own database and vhost. */
export async function startCatalog(env: NodeJS.ProcessEnv = process.env): Promise<RunningCatalog> {
  const config = loadCatalogConfig(env);
  const logger = createLogger('catalog', config.logLevel);
  announceKeys(config, logger);
  const metrics = createMetricsRegistry('catalog');
  const app = await NestFactory.create<NestExpressApplication>(
    CatalogModule.register({ config, logger, metrics }),
    {
      logger: nestLogger(logger),
      bodyParser: false,
      abortOnError: false, // a start-up failure rejects (main.ts reports it) instead of exiting here
      ...httpsOptions(config.tls),
    },
  );
  try {
    configureHttp(app, logger, metrics, config.bodyPace);
    // Progress events arrive through the custom AMQP transport (manual acks, see libs/messaging).
    app.connectMicroservice(
      {
        strategy: new AmqpTransport(app.get(AmqpConnectionManager), {
          queues: [CATALOG_PROGRESS_QUEUE],
          prefetch: 100, // what arrives together is ingested in one transaction
          validate: (envelope) => parseReplicationMessage(envelope),
          logger,
        }),
      },
      { inheritAppConfig: false },
    );
    // A bucket this catalog reaches directly that cannot be used stops the start, saying why.
    await app.get(RegionStores).checkObjectStores();
    await app.startAllMicroservices();
    // Bootstraps the application: the projector, the data reaper and the outbox relay start.
    await app.listen(config.port, '0.0.0.0');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const url = serviceUrl(app.getHttpServer(), config.tls);
  logger.info({ url, docs: `${url}/docs` }, 'catalog listening');
  return { app, config, logger, url, stop: () => app.close() };
}

/** Says, once at start, what an operator must not miss about who can call this catalog. */
function announceKeys({ developmentKeys, cloudKeys }: CatalogConfig, logger: Logger): void {
  if (developmentKeys.length > 0)
    logger.warn(
      { developmentKeys },
      `running with the built-in development keys for ${developmentKeys.join(' and ')} (SNAPFERRY_DEVELOPMENT_KEYS=1, set by npm start): they are public and must never be used in production`,
    );
  if (cloudKeys.length === 0)
    logger.info(
      'the cloud API endpoint (POST / and GET /) is off: SNAPFERRY_CLOUD_KEYS is not set',
    );
}
