import type { Event } from '../shared/event';

/** Every replication event names its copy: the stream id and both ends. */
export interface ReplicationRef {
  replicationId: string;
  sourceSnapshotId: string;
  targetSnapshotId: string;
  targetRegion: string;
}

export type ReplicationRequested = Event<
  'ReplicationRequested',
  ReplicationRef & {
    accountId: string;
    sourceRegion: string;
    targetSnapshotName: string;
    diskId: string;
    diskSizeGiB: number;
    sizeBytes: number;
    sourceDigest: string;
    encrypted: boolean;
    /** When the copy should be NORMAL by: the region starts earliest deadlines first. */
    deadline?: string;
    /** The replication policy that asked for the copy, if one did. */
    policyId?: string;
    requestedAt: string;
  }
>;

export type ReplicationStarted = Event<
  'ReplicationStarted',
  ReplicationRef & { attempt: number; bytesTotal: number; chunksTotal: number; startedAt: string }
>;

export type ReplicationProgressed = Event<
  'ReplicationProgressed',
  ReplicationRef & {
    /** Per-replication sequence number: a stale or reordered update is recognised by it. */
    sequence: number;
    bytesTotal: number;
    bytesDone: number;
    bytesTransferred: number;
    chunksCopied: number;
    chunksSkipped: number;
    percent: number;
    progressedAt: string;
  }
>;

export type ReplicationVerifying = Event<
  'ReplicationVerifying',
  ReplicationRef & { verifyingAt: string }
>;

export type ReplicationCompleted = Event<
  'ReplicationCompleted',
  ReplicationRef & {
    sizeBytes: number;
    /** The whole image's SHA-256, when the source has one (a full upload). */
    digest?: string;
    /** The manifest root the copy verified (absent on events written before it was sent). */
    root?: string;
    chunkCount: number;
    bytesTransferred: number;
    chunksCopied: number;
    chunksSkipped: number;
    completedAt: string;
  }
>;

export type ReplicationFailed = Event<
  'ReplicationFailed',
  ReplicationRef & { reason: string; failedAt: string }
>;

export type ReplicationCancelRequested = Event<
  'ReplicationCancelRequested',
  ReplicationRef & { reason: string; requestedAt: string }
>;

export type ReplicationCancelled = Event<
  'ReplicationCancelled',
  ReplicationRef & { cancelledAt: string }
>;

/**
 * A copy was still in flight (not yet NORMAL) when its deadline came: appended by the
 * catalog's deadline timer, once; the copy goes on and completes as usual.
 */
export type ReplicationDeadlineMissed = Event<
  'ReplicationDeadlineMissed',
  ReplicationRef & {
    sourceRegion: string;
    deadline: string;
    /** Where the copy stood at its deadline. */
    percent: number;
    missedAt: string;
  }
>;

/** What a replicator reports: these arrive as messages and are ingested into the catalog's store. */
export type ReplicationProgressEvent =
  | ReplicationStarted
  | ReplicationProgressed
  | ReplicationVerifying
  | ReplicationCompleted
  | ReplicationFailed
  | ReplicationCancelled;

export type ReplicationEvent =
  | ReplicationRequested
  | ReplicationCancelRequested
  | ReplicationDeadlineMissed
  | ReplicationProgressEvent;

export const replicationProgressEventTypes: readonly ReplicationProgressEvent['type'][] = [
  'ReplicationStarted',
  'ReplicationProgressed',
  'ReplicationVerifying',
  'ReplicationCompleted',
  'ReplicationFailed',
  'ReplicationCancelled',
];

export const replicationEventTypes: readonly ReplicationEvent['type'][] = [
  'ReplicationRequested',
  'ReplicationCancelRequested',
  'ReplicationDeadlineMissed',
  ...replicationProgressEventTypes,
];
