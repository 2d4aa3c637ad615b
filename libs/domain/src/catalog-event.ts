import type { AccountEvent } from './accounts/account';
import { accountEventTypes } from './accounts/account';
import type { ReplicationEvent } from './replications/replication-events';
import { replicationEventTypes } from './replications/replication-events';
import type { SnapshotEvent } from './snapshots/snapshot-events';
import { snapshotEventTypes } from './snapshots/snapshot-events';

/** Every event the catalog's store holds. */
export type CatalogEvent = SnapshotEvent | ReplicationEvent | AccountEvent;
export type CatalogEventType = CatalogEvent['type'];
export const catalogEventTypes: readonly CatalogEventType[] = [
  ...snapshotEventTypes,
  ...replicationEventTypes,
  ...accountEventTypes,
];

/** The region an event belongs to (routing key suffix on `snapferry.events`). */
export function eventRegion(event: CatalogEvent): string {
  const data = event.data as Partial<Record<'region' | 'targetRegion', string>>;
  return data.region ?? data.targetRegion ?? 'global';
}
