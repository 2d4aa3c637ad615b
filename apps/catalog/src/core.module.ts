import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CatalogConfig } from '@snapferry/platform';
import { CONFIG, LOGGER, METRICS, REGION_CATALOG } from './tokens';

/** What start-catalog.ts has before Nest starts: the configuration, read once, its logger and metrics. */
export interface CatalogModuleOptions {
  config: CatalogConfig;
  logger: Logger;
  metrics: Registry;
}

/**
 * The process's plain values, made before Nest starts: the configuration (`CONFIG`), its
 * region catalog (`REGION_CATALOG`), the logger (`LOGGER`) and the metrics registry
 * (`METRICS`). Nearly every provider of every feature injects some of them, as every provider
 * may inject the database and the broker, so the module is global like `DatabaseModule` and
 * `MessagingModule` (a feature module cannot import it itself: it is made from the options).
 */
@Global()
@Module({})
export class CoreModule {
  static register({ config, logger, metrics }: CatalogModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: REGION_CATALOG, useValue: config.regions },
        { provide: METRICS, useValue: metrics },
      ],
      exports: [CONFIG, LOGGER, REGION_CATALOG, METRICS],
    };
  }
}
