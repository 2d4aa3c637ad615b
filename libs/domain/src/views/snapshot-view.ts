import type { SnapshotEvent, SnapshotFacts } from '../snapshots/snapshot-events';
import type { ReplicationEvent } from '../replications/replication-events';
import type { Tag } from '../snapshots/tags';

/** The states a snapshot shows in the lists (a deleted one leaves them). */
export const snapshotViewStates = [
  'CREATING',
  'NORMAL',
  'COPYING_FROM_REMOTE',
  'CHECKING_COPIED',
  'FAILED',
] as const;
export type SnapshotViewState = (typeof snapshotViewStates)[number];

/** The states of a copy as its source lists it (it leaves the list when it ends). */
export const copyingToRegionStates = ['COPYING_FROM_REMOTE', 'CHECKING_COPIED'] as const;

export interface CopyingToRegion {
  region: string;
  snapshotId: string;
  replicationId: string;
  state: (typeof copyingToRegionStates)[number];
  percent: number;
  /** When the copy should be NORMAL by (absent: none). */
  deadline?: string | null;
  /** Set when the copy was still in flight at its deadline. */
  deadlineMissedAt?: string | null;
}

/**
 * One snapshot as the lists show it: the source status view (`copyingToRegions`) and the
 * target status view (a copy arriving in its region, with state and percent) in one document.
 */
export interface SnapshotView extends SnapshotFacts {
  /** Absent on documents projected before tags existed: no tags. */
  tags?: Tag[];
  state: SnapshotViewState;
  percent: number;
  sizeBytes: number | null;
  digest: string | null;
  /** The manifest root (absent on documents projected before it was recorded). */
  root?: string | null;
  /** The snapshot whose data this one started from (absent: none). */
  baseSnapshotId?: string;
  copyFromRemote: boolean;
  sourceSnapshotId: string | null;
  sourceRegion: string | null;
  replicationId: string | null;
  /** A copy arriving: when it should be NORMAL by, and when it was found late (absent: none). */
  deadline?: string | null;
  deadlineMissedAt?: string | null;
  copyingToRegions: CopyingToRegion[];
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export type SnapshotViewEvent = SnapshotEvent | ReplicationEvent;

/** The snapshot documents an event changes. */
export function snapshotViewIds(event: SnapshotViewEvent): string[] {
  if ('snapshotId' in event.data) return [event.data.snapshotId];
  if (event.type === 'ReplicationRequested' || event.type === 'ReplicationCancelRequested')
    return [];
  return [event.data.sourceSnapshotId, event.data.targetSnapshotId];
}

/** When the event happened: each type's own timestamp, named for its verb. */
export function occurredAt(event: SnapshotViewEvent): string {
  switch (event.type) {
    case 'SnapshotRegistered':
      return event.data.registeredAt;
    case 'SnapshotDataStored':
      return event.data.storedAt;
    case 'SnapshotRenamed':
      return event.data.renamedAt;
    case 'SnapshotTagsChanged':
      return event.data.changedAt;
    case 'SnapshotCopyRequested':
    case 'ReplicationRequested':
    case 'ReplicationCancelRequested':
      return event.data.requestedAt;
    case 'SnapshotCopyEnded':
      return event.data.endedAt;
    case 'SnapshotCopyFailed':
    case 'ReplicationFailed':
      return event.data.failedAt;
    case 'SnapshotDeleted':
      return event.data.deletedAt;
    case 'ReplicationStarted':
      return event.data.startedAt;
    case 'ReplicationProgressed':
      return event.data.progressedAt;
    case 'ReplicationVerifying':
      return event.data.verifyingAt;
    case 'ReplicationCompleted':
      return event.data.completedAt;
    case 'ReplicationCancelled':
      return event.data.cancelledAt;
    case 'ReplicationDeadlineMissed':
      return event.data.missedAt;
  }
}

/** `evolve(document | null, event)`: returns the new document, or null when it leaves the lists. */
export function evolveSnapshotView(
  doc: SnapshotView | null,
  event: SnapshotViewEvent,
  id: string,
): SnapshotView | null {
  if (event.type === 'SnapshotRegistered') {
    const { copyOf, registeredAt, tags, ...d } = event.data;
    return {
      ...d,
      tags: tags ?? [],
      state: copyOf ? 'COPYING_FROM_REMOTE' : 'CREATING',
      percent: 0,
      sizeBytes: null,
      digest: null,
      copyFromRemote: Boolean(copyOf),
      sourceSnapshotId: copyOf?.sourceSnapshotId ?? null,
      sourceRegion: copyOf?.sourceRegion ?? null,
      replicationId: copyOf?.replicationId ?? null,
      deadline: copyOf?.deadline ?? null,
      deadlineMissedAt: null,
      copyingToRegions: [],
      failureReason: null,
      createdAt: registeredAt,
      updatedAt: registeredAt,
    };
  }
  if (!doc) return null;
  const updatedAt = occurredAt(event);
  const next = { ...doc, updatedAt };
  const updateCopy = (replicationId: string, change: (c: CopyingToRegion) => CopyingToRegion) => ({
    ...next,
    copyingToRegions: doc.copyingToRegions.map((c) =>
      c.replicationId === replicationId ? change(c) : c,
    ),
  });
  const isTarget =
    doc.replicationId !== null &&
    'replicationId' in event.data &&
    event.data.replicationId === doc.replicationId &&
    id === doc.snapshotId;
  switch (event.type) {
    case 'SnapshotDataStored':
      return {
        ...next,
        state: 'NORMAL',
        percent: 100,
        sizeBytes: event.data.sizeBytes,
        digest: event.data.digest ?? null,
        root: event.data.root ?? null,
      };
    case 'SnapshotRenamed':
      return { ...next, name: event.data.name };
    case 'SnapshotTagsChanged':
      return { ...next, tags: event.data.tags };
    case 'SnapshotCopyRequested': {
      const { targetRegion, targetSnapshotId, replicationId, deadline } = event.data;
      const entry: CopyingToRegion = {
        region: targetRegion,
        snapshotId: targetSnapshotId,
        replicationId,
        state: 'COPYING_FROM_REMOTE',
        percent: 0,
        deadline: deadline ?? null,
        deadlineMissedAt: null,
      };
      return {
        ...next,
        copyingToRegions: [...doc.copyingToRegions.filter((c) => c.region !== targetRegion), entry],
      };
    }
    case 'SnapshotCopyEnded':
      return {
        ...next,
        copyingToRegions: doc.copyingToRegions.filter(
          (c) => c.replicationId !== event.data.replicationId,
        ),
      };
    case 'SnapshotCopyFailed':
      return { ...next, state: 'FAILED', failureReason: event.data.reason };
    case 'SnapshotDeleted':
      return null;
    case 'ReplicationStarted':
      return doc;
    case 'ReplicationProgressed': {
      const percent = event.data.percent;
      if (isTarget)
        return doc.state === 'COPYING_FROM_REMOTE'
          ? { ...next, percent: Math.max(doc.percent, percent) }
          : doc;
      return updateCopy(event.data.replicationId, (c) =>
        c.state === 'COPYING_FROM_REMOTE' ? { ...c, percent: Math.max(c.percent, percent) } : c,
      );
    }
    case 'ReplicationVerifying':
      if (isTarget)
        return doc.state === 'COPYING_FROM_REMOTE'
          ? { ...next, state: 'CHECKING_COPIED', percent: 100 }
          : doc;
      return updateCopy(event.data.replicationId, (c) => ({
        ...c,
        state: 'CHECKING_COPIED',
        percent: 100,
      }));
    case 'ReplicationDeadlineMissed': {
      const missedAt = event.data.missedAt;
      if (isTarget) return doc.state === 'NORMAL' ? doc : { ...next, deadlineMissedAt: missedAt };
      return updateCopy(event.data.replicationId, (c) => ({ ...c, deadlineMissedAt: missedAt }));
    }
    case 'ReplicationCompleted':
    case 'ReplicationFailed':
    case 'ReplicationCancelled':
    case 'ReplicationRequested':
    case 'ReplicationCancelRequested':
      // The end of a copy reaches the views through SnapshotCopyEnded / SnapshotDataStored / SnapshotCopyFailed.
      return doc;
  }
}
