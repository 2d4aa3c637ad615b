/** The catalog's answers as this client reads them (the fields it shows; the rest pass through --json). */

export interface CopyingTo {
  region: string;
  snapshotId: string;
  replicationId: string;
  state: string;
  percent: number;
}

export interface Snapshot {
  snapshotId: string;
  region: string;
  diskId: string;
  diskUsage: string;
  diskSizeGiB: number;
  name: string;
  encrypted: boolean;
  state: string;
  percent: number;
  sizeBytes: number | null;
  digest: string | null;
  copyFromRemote: boolean;
  sourceSnapshotId: string | null;
  sourceRegion: string | null;
  replicationId: string | null;
  copyingToRegions: CopyingTo[];
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SnapshotList {
  region: string;
  total: number;
  offset: number;
  limit: number;
  snapshots: Snapshot[];
}

export interface DestinationResult {
  destinationRegion: string;
  snapshotId?: string;
  replicationId?: string;
  code: string;
  message: string;
}

export interface CopiesResponse {
  sourceSnapshotId: string;
  results: DestinationResult[];
}

export interface Replication {
  replicationId: string;
  sourceSnapshotId: string;
  sourceRegion: string;
  targetSnapshotId: string;
  targetRegion: string;
  state: string;
  percent: number;
  bytesTotal: number;
  bytesDone: number;
  bytesTransferred: number;
  chunksCopied: number;
  chunksSkipped: number;
  attempts: number;
  error: string | null;
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
}

export interface ReplicationList {
  offset: number;
  limit: number;
  replications: Replication[];
}

export interface Region {
  id: string;
  name: string;
  geography: string;
  finance: boolean;
  snapshotQuota: number;
  snapshotsUsed: number;
}

export interface RegionsResponse {
  regions: Region[];
  geoRestrictions: { from: string; to: string }[];
}

export interface LoggedEvent {
  globalPosition: string;
  eventId: string;
  streamId: string;
  streamPosition: number;
  type: string;
  version: number;
  data: unknown;
  metadata: unknown;
  recordedAt: string;
}

export interface EventPage {
  events: LoggedEvent[];
  next: string;
}
