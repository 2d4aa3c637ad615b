import { type DynamicModule, Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventNotifications, PostgresEventStore } from '@snapferry/event-store';
import type { Logger } from '@snapferry/platform';
import { migrate } from './migrate';

/**
 * The catalog's PostgreSQL: the migrated DataSource, the event store over it and the
 * LISTEN connection that announces appends. Closed on `onApplicationShutdown`, after the
 * workers that use them stopped in `beforeApplicationShutdown`.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    private readonly notifications: EventNotifications,
  ) {}

  static register({ databaseUrl, logger }: { databaseUrl: string; logger: Logger }): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DataSource, useFactory: () => migrate(databaseUrl) },
        {
          provide: PostgresEventStore,
          useFactory: (dataSource: DataSource) => new PostgresEventStore(dataSource),
          inject: [DataSource],
        },
        {
          provide: EventNotifications,
          // After the migrations: the database may not exist before them.
          useFactory: async (_migrated: DataSource) => {
            const notifications = new EventNotifications(databaseUrl, {
              onError: (err) =>
                logger.warn({ err }, 'event notifications connection lost; reconnecting'),
            });
            await notifications.start();
            return notifications;
          },
          inject: [DataSource],
        },
      ],
      exports: [DataSource, PostgresEventStore, EventNotifications],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.notifications.close();
    await this.dataSource.destroy();
  }
}
