import { EventStoreSchema1760000000000 } from './1760000000000-event-store-schema';

export { EventStoreSchema1760000000000 };

/** Add these to any DataSource that hosts the event store. */
export const eventStoreMigrations = [EventStoreSchema1760000000000];
