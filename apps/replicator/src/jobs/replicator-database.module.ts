import { type DynamicModule, Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ensureDatabase } from '@snapferry/platform';

/**
 * The replicator's own PostgreSQL database (one schema per region, migrated by its JobsRepository per region).
 * Destroyed on `onApplicationShutdown`, after the copies stopped.
 */
@Global()
@Module({})
export class ReplicatorDatabaseModule implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  static register(databaseUrl: string): DynamicModule {
    return {
      module: ReplicatorDatabaseModule,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => {
            await ensureDatabase(databaseUrl);
            const dataSource = new DataSource({
              type: 'postgres',
              url: databaseUrl,
              poolSize: 10,
              applicationName: 'snapferry-replicator',
            });
            return dataSource.initialize();
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dataSource.destroy();
  }
}
