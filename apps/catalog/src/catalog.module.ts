import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { declareTopology } from '@snapferry/messaging';
import { HealthModule, MessagingModule } from '@snapferry/platform';
import { AdminModule } from './admin/admin.module';
import { CatalogHealthChecks } from './catalog-health-checks';
import { CloudApiModule } from './cloud-api/cloud-api.module';
import { type CatalogModuleOptions, CoreModule } from './core.module';
import { DataReaperModule } from './data-reaper/data-reaper.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { apiKeyLookup } from './http/api-keys';
import { AuthGuard } from './http/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { keyRateLimit } from './http/rate-limit';
import { StrictValidationPipe } from './http/validation.pipe';
import { OutboxModule } from './outbox/outbox.module';
import { PoliciesModule } from './policies/policies.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { RegionsModule } from './regions/regions.module';
import { ReplicationsModule } from './replications/replications.module';
import { SnapshotDataModule } from './snapshot-data/snapshot-data.module';
import { SnapshotsModule } from './snapshots/snapshots.module';

/**
 * The catalog: the process's values (CoreModule), PostgreSQL and RabbitMQ, the features (each
 * a module in its own folder that shows what it owns: README, "Catalog modules") and health.
 * It keeps what applies to every route: the AuthGuard, the key rate limit, the error filter
 * and the validation pipe. The workers that follow the log are providers of their features;
 * Nest starts them on the application's bootstrap (deepest module first) and stops them in
 * the reverse order (the projector, which commands wait on, last) before the connections
 * close.
 */
@Module({})
export class CatalogModule {
  static register(options: CatalogModuleOptions): DynamicModule {
    const { config, logger, metrics } = options;
    const rateLimit = keyRateLimit(config.rateLimit);
    return {
      module: CatalogModule,
      imports: [
        CoreModule.register(options),
        ...rateLimit.imports,
        DatabaseModule.register({ databaseUrl: config.databaseUrl, logger }),
        MessagingModule.register({
          url: config.amqpUrl,
          connectionName: `snapferry-catalog-${process.pid}`,
          logger,
          setup: (channel) =>
            declareTopology(channel, {
              catalogProgress: true,
              deliveryLimit: config.deliveryLimit,
            }),
        }),
        SnapshotsModule,
        SnapshotDataModule,
        ReplicationsModule,
        RegionsModule,
        EventsModule,
        AdminModule,
        PoliciesModule,
        CloudApiModule,
        ReadModelsModule,
        DataReaperModule,
        OutboxModule,
        // Last, as before the split: /health and /metrics come after the API in /docs.
        HealthModule.register({ checks: CatalogHealthChecks, metrics, logger }),
      ],
      providers: [
        {
          provide: APP_GUARD,
          useFactory: (r: Reflector) => new AuthGuard(r, apiKeyLookup(config.apiKeys)),
          inject: [Reflector],
        },
        ...rateLimit.providers, // after the AuthGuard: limits count per authenticated key
        { provide: APP_FILTER, useValue: new ErrorFilter(logger) },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
      ],
    };
  }
}
