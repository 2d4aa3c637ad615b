/**
 * The v1 API's answers as the console reads them: the catalog's own response classes (the
 * ones its OpenAPI document is generated from, in @snapferry/contracts), imported as types
 * only, so a change to an answer fails the console's type check instead of drifting from a
 * hand copy. The event log's entries are typed by the domain's events on top.
 */
import type {
  CopiesResponse,
  DestinationResultResponse,
  EventResponse,
  PolicyListResponse,
  PolicyResponse,
  PolicyStatusResponse,
  RecoveryPointResponse,
  RegionResponse,
  RegionsResponse,
  ReplicationResponse,
  SnapshotListResponse,
  SnapshotResponse,
} from '@snapferry/contracts';
import type { CatalogEvent, SnapshotViewState } from '@snapferry/domain';

export type SnapshotState = SnapshotViewState;

/** `GET /v1/snapshots/{id}`. */
export type Snapshot = SnapshotResponse;
export type CopyingTo = Snapshot['copyingToRegions'][number];
export type SnapshotList = SnapshotListResponse;
export type RegionWithUsage = RegionResponse;
export type RegionsAnswer = RegionsResponse;
export type DestinationResult = DestinationResultResponse;
export type CopiesAnswer = CopiesResponse;
/** `GET /v1/replications/{id}`. */
export type Replication = ReplicationResponse;

/** One entry of the event log (`GET /v1/events`, `GET /v1/events/stream`), typed by its event. */
export type LoggedEvent<E extends CatalogEvent = CatalogEvent> = Omit<
  EventResponse,
  'type' | 'data' | 'metadata'
> & {
  type: E['type'];
  data: E['data'];
  metadata: Record<string, unknown>;
};

export interface EventPage {
  events: LoggedEvent[];
  next: string;
}

/** `GET /v1/policies/{id}`: the definition with its id, refusals and times. */
export type Policy = PolicyResponse;
export type PolicyList = PolicyListResponse;
/** One selected disk in one destination: its newest NORMAL copy and how old its data is. */
export type RecoveryPoint = RecoveryPointResponse;
/** `GET /v1/policies/{id}/status`. */
export type PolicyStatus = PolicyStatusResponse;
