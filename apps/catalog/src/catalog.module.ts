import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventNotifications, PostgresEventStore } from '@snapferry/event-store';
import type { SnapferryConfig } from '@snapferry/platform';
import { BetaController } from './accounts/beta.controller';
import { ScrubController } from './admin/scrub.controller';
import { cloudApi } from './cloud-api/cloud-api.module';
import { RequestCopies } from './copies/request-copies';
import { EventLog } from './events/event-log';
import { EventsController } from './events/events.controller';
import { apiKeyLookup } from './http/api-keys';
import { AuthGuard } from './http/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { keyRateLimit } from './http/rate-limit';
import { StrictValidationPipe } from './http/validation.pipe';
import { ProjectionWatermark } from './read-models/projection-watermark';
import { RegionsController } from './regions/regions.controller';
import { ReplicationQueries } from './replications/replication-queries';
import { ReplicationsController } from './replications/replications.controller';
import { SnapshotCommands } from './snapshots/snapshot-commands';
import { SnapshotQueries } from './snapshots/snapshot-queries';
import { SnapshotsController } from './snapshots/snapshots.controller';
import { RegionStores } from '@snapferry/storage';
import { SnapshotData } from './snapshot-data/snapshot-data';
import { SnapshotDataController } from './snapshot-data/snapshot-data.controller';
import { ChunkedUploadController } from './snapshot-data/chunked/chunked-upload.controller';
import { DeclareManifest } from './snapshot-data/chunked/declare-manifest';
import { PutChunk } from './snapshot-data/chunked/put-chunk';
import { UploadPlans } from './snapshot-data/chunked/upload-plans';
import { UploadLeases } from './snapshot-data/upload-leases';
import { CatalogStore } from './store/catalog-store';
import { type HealthChecks, HealthModule } from '@snapferry/platform';
import { CONFIG, LOGGER, METRICS, REGION_CATALOG } from './tokens';

/** What start-catalog.ts builds before Nest starts (connections, configuration) and hands to the module. */
export interface CatalogRuntime {
  config: SnapferryConfig;
  logger: Logger;
  eventStore: PostgresEventStore;
  metrics: Registry;
  healthChecks: HealthChecks;
  watermark: ProjectionWatermark;
  regionStores: RegionStores;
  notifications: EventNotifications;
  extraControllers?: DynamicModule['controllers'];
  extraProviders?: DynamicModule['providers'];
}

@Module({})
export class CatalogModule {
  static register(runtime: CatalogRuntime): DynamicModule {
    const rateLimit = keyRateLimit(runtime.config.rateLimit);
    return {
      module: CatalogModule,
      imports: [
        ...rateLimit.imports,
        HealthModule.register({ checks: runtime.healthChecks, metrics: runtime.metrics }),
      ],
      controllers: [
        SnapshotsController,
        SnapshotDataController,
        ChunkedUploadController,
        ReplicationsController,
        RegionsController,
        EventsController,
        BetaController,
        ScrubController,
        ...cloudApi.controllers,
        ...(runtime.extraControllers ?? []),
      ],
      providers: [
        { provide: CONFIG, useValue: runtime.config },
        { provide: LOGGER, useValue: runtime.logger },
        { provide: REGION_CATALOG, useValue: runtime.config.regions },
        { provide: METRICS, useValue: runtime.metrics },
        { provide: PostgresEventStore, useValue: runtime.eventStore },
        { provide: ProjectionWatermark, useValue: runtime.watermark },
        { provide: EventNotifications, useValue: runtime.notifications },
        {
          provide: APP_GUARD,
          useFactory: (r: Reflector) => new AuthGuard(r, apiKeyLookup(runtime.config.apiKeys)),
          inject: [Reflector],
        },
        ...rateLimit.providers, // after the AuthGuard: limits count per authenticated key
        { provide: APP_FILTER, useValue: new ErrorFilter(runtime.logger) },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        CatalogStore,
        SnapshotCommands,
        SnapshotQueries,
        RequestCopies,
        ReplicationQueries,
        EventLog,
        SnapshotData,
        UploadLeases,
        UploadPlans,
        DeclareManifest,
        PutChunk,
        { provide: RegionStores, useValue: runtime.regionStores },
        ...cloudApi.providers,
        ...(runtime.extraProviders ?? []),
      ],
    };
  }
}
