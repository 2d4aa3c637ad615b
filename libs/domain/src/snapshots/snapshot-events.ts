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
  /** When the copy should be NORMAL by, if the request set one. */
  deadline?: string;
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
    /** The NORMAL snapshot (same account and region) whose data this one starts from. */
    baseSnapshotId?: string;
    registeredAt: string;
  }
>;

export type SnapshotDataStored = Event<
  'SnapshotDataStored',
  {
    snapshotId: string;
    region: string;
    sizeBytes: number;
    /**
     * SHA-256 of the whole image, where the whole image was read anyway (a full upload).
     * Absent for a snapshot made from a base plus changed ranges: nobody read it all.
     */
    digest?: string;
    /** The manifest root: the data's identity (absent on events written before it was recorded). */
    root?: string;
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
    /** When the copy should be NORMAL by, if the request set one. */
    deadline?: string;
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
