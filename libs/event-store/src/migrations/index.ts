import { EventStoreSchema1760000000000 } from './1760000000000-event-store-schema';
import { RecordedAtInsertTime1760000200000 } from './1760000200000-recorded-at-insert-time';

export { EventStoreSchema1760000000000, RecordedAtInsertTime1760000200000 };

/** Add these to any DataSource that hosts the event store. */
export const eventStoreMigrations = [
  EventStoreSchema1760000000000,
  RecordedAtInsertTime1760000200000,
];
