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
  baseSnapshotId?: string;
  now: string;
};

/**
 * `base` is the state of `command.baseSnapshotId` (read in the same transaction), when the
 * snapshot is to start from another one's data.
 */
export function registerSnapshot(
  command: RegisterSnapshot,
  base?: SnapshotState,
): SnapshotRegistered {
  const { now, name, encrypted, tags, baseSnapshotId, ...rest } = command;
  if (name !== undefined && nameLength(name) > maxSnapshotNameLength)
    refuse(
      'InvalidParameterValue.SnapshotName',
      `name must be at most ${maxSnapshotNameLength} characters`,
    );
  if (baseSnapshotId !== undefined) assertBaseFits(base ?? null, command, baseSnapshotId);
  return {
    type: 'SnapshotRegistered',
    data: {
      ...rest,
      name: name ?? `Snapshot of ${command.diskId}`,
      encrypted: encrypted ?? false,
      tags: assertUserTags(tags ?? []),
      ...(baseSnapshotId !== undefined ? { baseSnapshotId } : {}),
      registeredAt: now,
    },
  };
}

/**
 * A base must be the account's own (another account's answers as unknown), not deleted,
 * NORMAL (its data complete), in the same region (its chunks are there), on a disk no larger
 * than the new one (disks grow, never shrink: the data may then grow past the base's size).
 */
export function assertBaseFits(
  base: SnapshotState,
  snapshot: { accountId: string; region: string; diskSizeGiB: number },
  baseSnapshotId: string,
): Snapshot {
  if (!base || base.status === 'DELETED' || base.accountId !== snapshot.accountId)
    return refuse(
      'ResourceNotFound.BaseSnapshot',
      `base snapshot ${baseSnapshotId} does not exist (or was deleted)`,
    );
  if (base.status !== 'NORMAL')
    refuse(
      'UnsupportedOperation.BaseSnapshotNotNormal',
      `base snapshot ${baseSnapshotId} is ${base.status}; a base must be NORMAL`,
    );
  if (base.region !== snapshot.region)
    refuse(
      'InvalidParameterValue.BaseSnapshot',
      `base snapshot ${baseSnapshotId} is in ${base.region}, not ${snapshot.region}: a base must be in the same region`,
    );
  if (base.diskSizeGiB > snapshot.diskSizeGiB)
    refuse(
      'InvalidParameterValue.BaseSnapshot',
      `base snapshot ${baseSnapshotId} is of a ${base.diskSizeGiB} GiB disk, larger than this one (${snapshot.diskSizeGiB} GiB): disks may grow, not shrink`,
    );
  return base;
}

/**
 * Changes may be sent, and committed, only while the snapshot is CREATING and declared a base
 * that is still there and NORMAL (a base deleted meanwhile: its data may be gone).
 */
export function assertChangesAllowed(
  state: SnapshotState,
  base: SnapshotState,
  accountId: string,
  snapshotId: string,
): { snapshot: Snapshot; base: Snapshot } {
  const snapshot = assertUploadAllowed(state, accountId, snapshotId);
  const baseSnapshotId = snapshot.baseSnapshotId;
  if (baseSnapshotId === undefined)
    return refuse(
      'UnsupportedOperation.NoBaseSnapshot',
      `snapshot ${snapshotId} was registered without a baseSnapshotId; upload its whole image instead`,
    );
  if (!base || base.status === 'DELETED')
    return refuse(
      'UnsupportedOperation.BaseSnapshotDeleted',
      `base snapshot ${baseSnapshotId} was deleted after ${snapshotId} was registered; register the snapshot again on another base, or upload its whole image`,
    );
  return { snapshot, base: assertBaseFits(base, snapshot, baseSnapshotId) };
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
  /** The whole image's SHA-256, where it was read whole (absent for changed ranges). */
  digest?: string;
  root?: string;
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
  const { sizeBytes, digest, root, chunkCount, now } = command;
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
      ...(digest !== undefined ? { digest } : {}),
      ...(root !== undefined ? { root } : {}),
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
