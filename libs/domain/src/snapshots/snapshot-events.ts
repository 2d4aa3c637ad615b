import type { TerminalReplicationState } from '../replications/replication';
import type { Event } from '../shared/event';
import type { Tag } from './tags';

export type DiskUsage = 'SYSTEM_DISK' | 'DATA_DISK';
export const diskUsages: readonly DiskUsage[] = ['SYSTEM_DISK', 'DATA_DISK'];

/** Where a copied snapshot came from. */
export interface CopyOrigin {
  replicationId: string;
  sourceSnapshotId: string;
  sourceRegion: string;
}

/** What a snapshot is, as registered: shared by the event, the decider's state and the view. */
export interface SnapshotFacts {
  snapshotId: string;
  accountId: string;
  region: string;
  diskId: string;
  diskUsage: DiskUsage;
  diskSizeGiB: number;
  name: string;
  encrypted: boolean;
}

export type SnapshotRegistered = Event<
  'SnapshotRegistered',
  SnapshotFacts & {
    /** Set on a target snapshot created by a cross-region copy. */
    copyOf?: CopyOrigin;
    /** Absent on events written before tags existed: no tags. */
    tags?: Tag[];
    registeredAt: string;
  }
>;

export type SnapshotDataStored = Event<
  'SnapshotDataStored',
  {
    snapshotId: string;
    region: string;
    sizeBytes: number;
    digest: string;
    chunkCount: number;
    storedAt: string;
  }
>;

export type SnapshotRenamed = Event<
  'SnapshotRenamed',
  { snapshotId: string; region: string; name: string; renamedAt: string }
>;

/** The snapshot's whole new set of tags (the service's own `snapferry:` tags included). */
export type SnapshotTagsChanged = Event<
  'SnapshotTagsChanged',
  { snapshotId: string; region: string; tags: Tag[]; changedAt: string }
>;

export type SnapshotCopyRequested = Event<
  'SnapshotCopyRequested',
  {
    snapshotId: string;
    region: string;
    replicationId: string;
    targetRegion: string;
    targetSnapshotId: string;
    requestedAt: string;
  }
>;

export type CopyOutcome = TerminalReplicationState;

export type SnapshotCopyEnded = Event<
  'SnapshotCopyEnded',
  {
    snapshotId: string;
    region: string;
    replicationId: string;
    targetRegion: string;
    outcome: CopyOutcome;
    endedAt: string;
  }
>;

export type SnapshotCopyFailed = Event<
  'SnapshotCopyFailed',
  { snapshotId: string; region: string; replicationId: string; reason: string; failedAt: string }
>;

export type SnapshotDeleted = Event<
  'SnapshotDeleted',
  { snapshotId: string; accountId: string; region: string; deletedAt: string }
>;

export type SnapshotEvent =
  | SnapshotRegistered
  | SnapshotDataStored
  | SnapshotRenamed
  | SnapshotTagsChanged
  | SnapshotCopyRequested
  | SnapshotCopyEnded
  | SnapshotCopyFailed
  | SnapshotDeleted;

export const snapshotEventTypes: readonly SnapshotEvent['type'][] = [
  'SnapshotRegistered',
  'SnapshotDataStored',
  'SnapshotRenamed',
  'SnapshotTagsChanged',
  'SnapshotCopyRequested',
  'SnapshotCopyEnded',
  'SnapshotCopyFailed',
  'SnapshotDeleted',
];
