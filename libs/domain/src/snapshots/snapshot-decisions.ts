import { refuse } from '../shared/event';
import type { Snapshot, SnapshotState } from './snapshot';
import { isCopying } from './snapshot';
import type {
  SnapshotFacts,
  SnapshotDataStored,
  SnapshotDeleted,
  SnapshotRegistered,
  SnapshotRenamed,
  SnapshotTagsChanged,
} from './snapshot-events';
import { assertUserTags, sameTags, type Tag, withReservedTags } from './tags';
import type { ReplicationCancelRequested } from '../replications/replication-events';

export const maxSnapshotNameLength = 60;
/** Names are counted in characters (code points), as people and the API's validation count them. */
export const nameLength = (name: string): number => [...name].length;

/** The snapshot must exist, belong to the account and not be deleted; anything else is 404. */
export function existingSnapshot(
  state: SnapshotState,
  accountId: string,
  snapshotId: string,
): Snapshot {
  if (!state || state.status === 'DELETED' || state.accountId !== accountId)
    return refuse('ResourceNotFound.Snapshot', `snapshot ${snapshotId} does not exist`);
  return state;
}

export type RegisterSnapshot = Omit<SnapshotFacts, 'name' | 'encrypted'> & {
  name?: string;
  encrypted?: boolean;
  tags?: Tag[];
  now: string;
};

export function registerSnapshot(command: RegisterSnapshot): SnapshotRegistered {
  const { now, name, encrypted, tags, ...rest } = command;
  if (name !== undefined && nameLength(name) > maxSnapshotNameLength)
    refuse(
      'InvalidParameterValue.SnapshotName',
      `name must be at most ${maxSnapshotNameLength} characters`,
    );
  return {
    type: 'SnapshotRegistered',
    data: {
      ...rest,
      name: name ?? `Snapshot of ${command.diskId}`,
      encrypted: encrypted ?? false,
      tags: assertUserTags(tags ?? []),
      registeredAt: now,
    },
  };
}

/**
 * Replaces a snapshot's own tags with the user's set (the service's `snapferry:` tags stay);
 * the same set again changes nothing.
 */
export function changeSnapshotTags(
  state: SnapshotState,
  command: { accountId: string; snapshotId: string; tags: Tag[]; now: string },
): SnapshotTagsChanged[] {
  const snapshot = existingSnapshot(state, command.accountId, command.snapshotId);
  const tags = withReservedTags(snapshot.tags, assertUserTags(command.tags));
  if (sameTags(snapshot.tags, tags)) return [];
  return [
    {
      type: 'SnapshotTagsChanged',
      data: {
        snapshotId: snapshot.snapshotId,
        region: snapshot.region,
        tags,
        changedAt: command.now,
      },
    },
  ];
}

export interface StoreSnapshotData {
  accountId: string;
  snapshotId: string;
  sizeBytes: number;
  digest: string;
  chunkCount: number;
  now: string;
}

/** Checked before an upload starts (so refused uploads write nothing) and again when it ends. */
export function assertUploadAllowed(
  state: SnapshotState,
  accountId: string,
  snapshotId: string,
): Snapshot {
  const snapshot = existingSnapshot(state, accountId, snapshotId);
  if (snapshot.status === 'NORMAL')
    refuse(
      'UnsupportedOperation.DataAlreadyStored',
      `snapshot ${snapshotId} already holds its data`,
    );
  if (snapshot.status !== 'CREATING')
    refuse(
      'UnsupportedOperation.SnapshotNotCreating',
      `snapshot ${snapshotId} is ${snapshot.status}, not CREATING`,
    );
  return snapshot;
}

export function storeSnapshotData(
  state: SnapshotState,
  command: StoreSnapshotData,
): SnapshotDataStored {
  const snapshot = assertUploadAllowed(state, command.accountId, command.snapshotId);
  const { sizeBytes, digest, chunkCount, now } = command;
  if (sizeBytes > snapshot.diskSizeGiB * 1024 ** 3)
    refuse(
      'UnsupportedOperation.SnapshotDataTooLarge',
      `data is larger than the disk (${snapshot.diskSizeGiB} GiB)`,
    );
  return {
    type: 'SnapshotDataStored',
    data: {
      snapshotId: snapshot.snapshotId,
      region: snapshot.region,
      sizeBytes,
      digest,
      chunkCount,
      storedAt: now,
    },
  };
}

export function renameSnapshot(
  state: SnapshotState,
  command: { accountId: string; snapshotId: string; name: string; now: string },
): SnapshotRenamed[] {
  const snapshot = existingSnapshot(state, command.accountId, command.snapshotId);
  if (nameLength(command.name) > maxSnapshotNameLength)
    refuse(
      'InvalidParameterValue.SnapshotName',
      `name must be at most ${maxSnapshotNameLength} characters`,
    );
  if (snapshot.name === command.name) return [];
  return [
    {
      type: 'SnapshotRenamed',
      data: {
        snapshotId: snapshot.snapshotId,
        region: snapshot.region,
        name: command.name,
        renamedAt: command.now,
      },
    },
  ];
}

export interface SnapshotDeletion {
  deleted: SnapshotDeleted;
  /** Deleting a target that is still copying cancels its copy. */
  cancel?: ReplicationCancelRequested;
}

export function deleteSnapshot(
  state: SnapshotState,
  command: { accountId: string; snapshotId: string; now: string },
): SnapshotDeletion {
  const snapshot = existingSnapshot(state, command.accountId, command.snapshotId);
  if (isCopying(snapshot))
    refuse(
      'UnsupportedOperation.SnapshotCopying',
      `snapshot ${snapshot.snapshotId} is being copied to ${Object.keys(snapshot.copiesInFlight).join(', ')}; it can be deleted when the copies end`,
    );
  const deleted: SnapshotDeleted = {
    type: 'SnapshotDeleted',
    data: {
      snapshotId: snapshot.snapshotId,
      accountId: snapshot.accountId,
      region: snapshot.region,
      deletedAt: command.now,
    },
  };
  if (snapshot.status !== 'COPYING_FROM_REMOTE' || !snapshot.copyOf) return { deleted };
  const { replicationId, sourceSnapshotId } = snapshot.copyOf;
  return {
    deleted,
    cancel: {
      type: 'ReplicationCancelRequested',
      data: {
        replicationId,
        sourceSnapshotId,
        targetSnapshotId: snapshot.snapshotId,
        targetRegion: snapshot.region,
        reason: 'target snapshot deleted',
        requestedAt: command.now,
      },
    },
  };
}
