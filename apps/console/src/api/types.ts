/**
 * The v1 API's answers as the console reads them (PRODUCT.md §3). The catalog's OpenAPI
 * document does not describe responses yet, so they are typed here from the domain's read
 * models (which the API returns less the account id) and the few envelopes around them.
 */
import type {
  CatalogEvent,
  GeoRestriction,
  PolicyDefinition,
  PolicyFailure,
  RecoveryPointState,
  Region,
  ReplicationView,
  SnapshotView,
  SnapshotViewState,
} from '@snapferry/domain';

export type SnapshotState = SnapshotViewState;

/** `GET /v1/snapshots/{id}`: the status view's document without the account. */
export type Snapshot = Omit<SnapshotView, 'accountId'>;
export type CopyingTo = Snapshot['copyingToRegions'][number];

export interface SnapshotList {
  region: string;
  total: number;
  offset: number;
  limit: number;
  snapshots: Snapshot[];
}

export interface RegionWithUsage extends Region {
  snapshotsUsed: number;
}

export interface RegionsAnswer {
  regions: RegionWithUsage[];
  geoRestrictions: GeoRestriction[];
}

export interface DestinationResult {
  destinationRegion: string;
  snapshotId?: string;
  replicationId?: string;
  code: string;
  message: string;
}

export interface CopiesAnswer {
  sourceSnapshotId: string;
  results: DestinationResult[];
}

/** `GET /v1/replications/{id}`: the replication view without the account. */
export type Replication = Omit<ReplicationView, 'accountId'> & { bytesCopied: number };

/** One entry of the event log (`GET /v1/events`, `GET /v1/events/stream`). */
export interface LoggedEvent<E extends CatalogEvent = CatalogEvent> {
  globalPosition: string;
  eventId: string;
  streamId: string;
  streamPosition: number;
  type: E['type'];
  version: number;
  data: E['data'];
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface EventPage {
  events: LoggedEvent[];
  next: string;
}

/** `GET /v1/policies/{id}`: the definition with its id, refusals and times. */
export interface Policy extends PolicyDefinition {
  policyId: string;
  failures: PolicyFailure[];
  createdAt: string;
  updatedAt: string;
}

export interface PolicyList {
  total: number;
  offset: number;
  limit: number;
  policies: Policy[];
}

/** One selected disk in one destination: its newest NORMAL copy and how old its data is. */
export interface RecoveryPoint {
  diskId: string;
  region: string;
  snapshotId: string | null;
  recoversTo: string | null;
  ageSeconds: number | null;
  state: RecoveryPointState;
}

/** `GET /v1/policies/{id}/status`. */
export interface PolicyStatus {
  policyId: string;
  rpoMinutes: number;
  evaluatedAt: string;
  recoveryPoints: RecoveryPoint[];
}
