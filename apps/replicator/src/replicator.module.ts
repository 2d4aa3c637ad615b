import { type DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ConfirmPublisher, declareTopology } from '@snapferry/messaging';
import {
  HealthModule,
  type Logger,
  MessagingModule,
  type SnapferryConfig,
} from '@snapferry/platform';
import { RegionStores } from '@snapferry/storage';
import { REGION_CONTEXTS, regionContexts } from './copy/region-contexts';
import { newInstanceId, type RegionContext, ReplicationRunner } from './copy/replication-runner';
import { ReplicatorDatabaseModule } from './jobs/replicator-database.module';
import { ReplicationController } from './replication.controller';
import { ReplicatorHealthChecks } from './replicator-health-checks';
import {
  STORE_LOGGER,
  STORE_METRICS,
  STORE_REGIONS,
  StoreController,
  type StoreRegions,
} from './store/store.controller';
import { StoreSignatures } from './store/store-signatures';

/** What start-replicator.ts has before Nest starts: the configuration, read once, its logger and metrics. */
export interface ReplicatorModuleOptions {
  config: SnapferryConfig;
  logger: Logger;
  metrics: Registry;
}

/**
 * A replicator: the copies for REPLICATOR_REGIONS (the request consumer's handlers and the
 * runner, which aborts its copies before the connections close) and those regions' store
 * service.
 */
@Module({})
export class ReplicatorModule {
  static register({ config, logger, metrics }: ReplicatorModuleOptions): DynamicModule {
    return {
      module: ReplicatorModule,
      imports: [
        ReplicatorDatabaseModule.register(config.replicatorDatabaseUrl),
        MessagingModule.register({
          url: config.amqpUrl,
          connectionName: `snapferry-replicator-${process.pid}`,
          logger,
          setup: (channel) =>
            declareTopology(channel, {
              catalogProgress: true,
              replicatorRegions: config.replicatorRegions,
              deliveryLimit: config.deliveryLimit,
            }),
        }),
        HealthModule.register({ checks: ReplicatorHealthChecks, metrics, logger }),
      ],
      controllers: [ReplicationController, StoreController],
      providers: [
        {
          // This process's regions are on its own disk; every other region with a storeUrl is
          // reached over the network, at its own replicator's store service.
          provide: RegionStores,
          useFactory: () => RegionStores.fromConfig(config, config.replicatorRegions),
        },
        {
          provide: REGION_CONTEXTS,
          useFactory: (dataSource: DataSource, stores: RegionStores) =>
            regionContexts(config, dataSource, stores),
          inject: [DataSource, RegionStores],
        },
        {
          provide: ReplicationRunner,
          useFactory: (regions: Map<string, RegionContext>, publisher: ConfirmPublisher) =>
            new ReplicationRunner(regions, publisher, logger, metrics, {
              owner: newInstanceId(),
              leaseMs: config.claimLeaseMs,
            }),
          inject: [REGION_CONTEXTS, ConfirmPublisher],
        },
        {
          provide: STORE_REGIONS,
          useFactory: (stores: RegionStores): StoreRegions => ({
            stores,
            served: new Set(config.replicatorRegions),
          }),
          inject: [RegionStores],
        },
        {
          // Shared by every replicator of the database: a signed store call is carried out once.
          provide: StoreSignatures,
          useFactory: (dataSource: DataSource) => StoreSignatures.open(dataSource, logger),
          inject: [DataSource],
        },
        { provide: STORE_METRICS, useValue: metrics },
        { provide: STORE_LOGGER, useValue: logger },
      ],
    };
  }
}
