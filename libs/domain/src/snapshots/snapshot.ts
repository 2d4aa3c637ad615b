import type { CopyOrigin, SnapshotEvent, SnapshotFacts } from './snapshot-events';
import type { Tag } from './tags';

export type SnapshotStatus = 'CREATING' | 'NORMAL' | 'COPYING_FROM_REMOTE' | 'FAILED' | 'DELETED';

export interface CopyInFlight {
  replicationId: string;
  targetSnapshotId: string;
}

export interface Snapshot extends SnapshotFacts {
  status: SnapshotStatus;
  copyOf?: CopyOrigin;
  tags: Tag[];
  sizeBytes?: number;
  digest?: string;
  root?: string;
  /** The snapshot whose data this one starts from (changed ranges only are then sent). */
  baseSnapshotId?: string;
  /** Copies from this snapshot still in flight, by target region (the source lock). */
  copiesInFlight: Record<string, CopyInFlight>;
  createdAt: string;
}

export type SnapshotState = Snapshot | null;

export const initialSnapshotState = (): SnapshotState => null;

export function evolveSnapshot(state: SnapshotState, event: SnapshotEvent): SnapshotState {
  if (event.type === 'SnapshotRegistered') {
    const { registeredAt, copyOf, tags, ...rest } = event.data;
    return {
      ...rest,
      ...(copyOf ? { copyOf } : {}),
      tags: tags ?? [],
      status: copyOf ? 'COPYING_FROM_REMOTE' : 'CREATING',
      copiesInFlight: {},
      createdAt: registeredAt,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'SnapshotDataStored':
      return {
        ...state,
        status: 'NORMAL',
        sizeBytes: event.data.sizeBytes,
        ...(event.data.digest !== undefined ? { digest: event.data.digest } : {}),
        ...(event.data.root !== undefined ? { root: event.data.root } : {}),
      };
    case 'SnapshotRenamed':
      return { ...state, name: event.data.name };
    case 'SnapshotTagsChanged':
      return { ...state, tags: event.data.tags };
    case 'SnapshotCopyRequested': {
      const { targetRegion, replicationId, targetSnapshotId } = event.data;
      return {
        ...state,
        copiesInFlight: {
          ...state.copiesInFlight,
          [targetRegion]: { replicationId, targetSnapshotId },
        },
      };
    }
    case 'SnapshotCopyEnded': {
      const copiesInFlight = { ...state.copiesInFlight };
      if (copiesInFlight[event.data.targetRegion]?.replicationId === event.data.replicationId)
        delete copiesInFlight[event.data.targetRegion];
      return { ...state, copiesInFlight };
    }
    case 'SnapshotCopyFailed':
      return { ...state, status: 'FAILED' };
    case 'SnapshotDeleted':
      return { ...state, status: 'DELETED' };
  }
}

export const isCopying = (s: Snapshot): boolean => Object.keys(s.copiesInFlight).length > 0;
