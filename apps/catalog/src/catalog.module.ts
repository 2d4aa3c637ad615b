import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { PostgresEventStore } from '@snapferry/event-store';
import { declareTopology } from '@snapferry/messaging';
import { type CatalogConfig, HealthModule, MessagingModule } from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { BetaController } from './accounts/beta.controller';
import { ProjectionsController } from './admin/projections.controller';
import { ScrubController } from './admin/scrub.controller';
import { CatalogHealthChecks } from './catalog-health-checks';
import { cloudApi } from './cloud-api/cloud-api.module';
import { RequestCopies } from './copies/request-copies';
import { EventLog } from './events/event-log';
import { EventsController } from './events/events.controller';
import { apiKeyLookup } from './http/api-keys';
import { AuthGuard } from './http/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { keyRateLimit } from './http/rate-limit';
import { StrictValidationPipe } from './http/validation.pipe';
import { DatabaseModule } from './database/database.module';
import { DataReaper } from './data-reaper/data-reaper';
import { DeadlineTimer } from './deadlines/deadline-timer';
import { DataReaperRepository } from './data-reaper/data-reaper.repository';
import { RegionSweeper } from './data-reaper/region-sweeper';
import { OutboxRelay } from './outbox/outbox-relay';
import { PoliciesController } from './policies/policies.controller';
import { PolicyCommands } from './policies/policy-commands';
import { PolicyQueries } from './policies/policy-queries';
import { PolicyReports } from './policies/policy-reports';
import { PolicyEngine } from './policies/engine/policy-engine';
import { PolicyPass } from './policies/engine/policy-pass';
import { RecoveryPointGauge } from './policies/engine/recovery-point-gauge';
import { RpoTimer } from './policies/engine/rpo-timer';
import { ProgressController } from './progress/progress.controller';
import { RecordProgress } from './progress/record-progress';
import { ProjectionWatermark } from './read-models/projection-watermark';
import { Projector } from './read-models/projector';
import { ReplicationStateGauge } from './read-models/replication-state-gauge';
import { RegionsController } from './regions/regions.controller';
import { ReplicationQueries } from './replications/replication-queries';
import { ReplicationsController } from './replications/replications.controller';
import { SnapshotCommands } from './snapshots/snapshot-commands';
import { SnapshotQueries } from './snapshots/snapshot-queries';
import { SnapshotsController } from './snapshots/snapshots.controller';
import { DownloadFailures } from './snapshot-data/download-failures';
import { SnapshotData } from './snapshot-data/snapshot-data';
import { SnapshotDataController } from './snapshot-data/snapshot-data.controller';
import { ChunkedUploadController } from './snapshot-data/chunked/chunked-upload.controller';
import { DeclareManifest } from './snapshot-data/chunked/declare-manifest';
import { ChunkBodies } from './snapshot-data/chunked/chunk-body';
import { PutChunk } from './snapshot-data/chunked/put-chunk';
import { ChangesController } from './snapshot-data/changes/changes.controller';
import { StoreChanges } from './snapshot-data/changes/store-changes';
import { UploadPlans } from './snapshot-data/chunked/upload-plans';
import { UploadLeases } from './snapshot-data/upload-leases';
import { uploadMemoryProvider } from './snapshot-data/upload-memory';
import { CatalogStore } from './store/catalog-store';
import { CONFIG, LOGGER, METRICS, REGION_CATALOG } from './tokens';

/** What start-catalog.ts has before Nest starts: the configuration, read once, its logger and metrics. */
export interface CatalogModuleOptions {
  config: CatalogConfig;
  logger: Logger;
  metrics: Registry;
}

/**
 * The catalog: the HTTP API, the progress consumer's handlers, and the workers that follow
 * the log (projector, data reaper and its region sweeper, outbox relay: providers that start
 * on the application's bootstrap and stop before its connections close).
 */
@Module({})
export class CatalogModule {
  static register({ config, logger, metrics }: CatalogModuleOptions): DynamicModule {
    const rateLimit = keyRateLimit(config.rateLimit);
    return {
      module: CatalogModule,
      imports: [
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
        HealthModule.register({ checks: CatalogHealthChecks, metrics, logger }),
      ],
      controllers: [
        SnapshotsController,
        SnapshotDataController,
        ChunkedUploadController,
        ChangesController,
        ReplicationsController,
        RegionsController,
        EventsController,
        BetaController,
        ScrubController,
        ProgressController,
        ProjectionsController,
        PoliciesController,
        ...cloudApi.controllers,
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: REGION_CATALOG, useValue: config.regions },
        { provide: METRICS, useValue: metrics },
        {
          provide: APP_GUARD,
          useFactory: (r: Reflector) => new AuthGuard(r, apiKeyLookup(config.apiKeys)),
          inject: [Reflector],
        },
        ...rateLimit.providers, // after the AuthGuard: limits count per authenticated key
        { provide: APP_FILTER, useValue: new ErrorFilter(logger) },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        ProjectionWatermark,
        Projector,
        ReplicationStateGauge,
        {
          provide: DataReaperRepository,
          useFactory: (store: PostgresEventStore) =>
            new DataReaperRepository(store, {
              intervalMs: config.gcIntervalMs,
              periodMs: config.gcPeriodMs,
              graceMs: config.gcGraceMs,
            }),
          inject: [PostgresEventStore],
        },
        DataReaper,
        RegionSweeper,
        DeadlineTimer,
        OutboxRelay,
        RecordProgress,
        CatalogStore,
        SnapshotCommands,
        SnapshotQueries,
        RequestCopies,
        ReplicationQueries,
        EventLog,
        SnapshotData,
        DownloadFailures,
        UploadLeases,
        UploadPlans,
        DeclareManifest,
        PutChunk,
        StoreChanges,
        ChunkBodies,
        uploadMemoryProvider(config.uploadMemory, metrics),
        {
          // The catalog touches no region's store itself when the region has a storeUrl: uploads,
          // reads and garbage collection go to the region's store service.
          provide: RegionStores,
          useFactory: () => RegionStores.fromConfig(config),
        },
        PolicyCommands,
        PolicyQueries,
        PolicyReports,
        PolicyEngine,
        PolicyPass,
        RpoTimer,
        RecoveryPointGauge,
        ...cloudApi.providers,
      ],
    };
  }
}
