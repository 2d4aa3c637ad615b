import type { AccountEvent } from './accounts/account';
import { accountEventTypes } from './accounts/account';
import type { PolicyEvent } from './policies/policy-events';
import { policyEventTypes } from './policies/policy-events';
import type { ReplicationEvent } from './replications/replication-events';
import { replicationEventTypes } from './replications/replication-events';
import type { SnapshotEvent } from './snapshots/snapshot-events';
import { snapshotEventTypes } from './snapshots/snapshot-events';

/** Every event the catalog's store holds. */
export type CatalogEvent = SnapshotEvent | ReplicationEvent | AccountEvent | PolicyEvent;
export type CatalogEventType = CatalogEvent['type'];
export const catalogEventTypes: readonly CatalogEventType[] = [
  ...snapshotEventTypes,
  ...replicationEventTypes,
  ...accountEventTypes,
  ...policyEventTypes,
];

/** The region an event belongs to (routing key suffix on `snapferry.events`). */
export function eventRegion(event: CatalogEvent): string {
  const data = event.data as Partial<
    Record<'region' | 'targetRegion' | 'destinationRegion' | 'sourceRegion', string>
  >;
  return (
    data.region ?? data.targetRegion ?? data.destinationRegion ?? data.sourceRegion ?? 'global'
  );
}
