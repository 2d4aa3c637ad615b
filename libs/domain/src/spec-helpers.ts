// Test-only helpers, deliberately not exported from index.ts: spec files import them relatively.
import type { ErrorCode } from './shared/event';
import { DomainError } from './shared/event';
import type { ReplicationEvent } from './replications/replication-events';
import type {
  SnapshotCopyEnded,
  SnapshotCopyRequested,
  SnapshotDataStored,
  SnapshotRegistered,
} from './snapshots/snapshot-events';

/** A decider as emmett shapes it; our use cases take extra arguments, so each spec adapts them to this. */
export interface SpecDecider<Command, State, Event, Result> {
  decide: (command: Command, state: State) => Result;
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

/** given events -> when command -> then result / thenThrows code (after emmett's DeciderSpecification). */
export const deciderSpecification = <Command, State, Event, Result>(
  decider: SpecDecider<Command, State, Event, Result>,
) => ({
  given: (events: Event[]) => ({
    when: (command: Command) => {
      const run = (): Result =>
        decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: Result): void => expect(run()).toEqual(expected),
        /** For results checked field by field; returns what was decided. */
        thenResult: (): Result => run(),
        thenThrows: (code: ErrorCode): DomainError => {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe(code);
          return error as DomainError;
        },
      };
    },
  }),
});

/** An id source counting up in the cloud's id format: `snap-00000001`, `snap-00000002`… */
export const countingIds = (prefix: 'snap' | 'repl'): (() => string) => {
  let n = 0;
  return () => `${prefix}-${String(++n).padStart(8, '0')}`;
};

export const now = '2024-05-01T10:00:00.000Z';
export const later = '2024-05-01T10:05:00.000Z';
export const accountId = 'acct-owner';

export const registered = (data: Partial<SnapshotRegistered['data']> = {}): SnapshotRegistered => ({
  type: 'SnapshotRegistered',
  data: {
    snapshotId: 'snap-src00001',
    accountId,
    region: 'ap-guangzhou',
    diskId: 'disk-data0001',
    diskUsage: 'DATA_DISK',
    diskSizeGiB: 10,
    name: 'orders db',
    encrypted: false,
    registeredAt: now,
    ...data,
  },
});

export const stored = (
  snapshotId = 'snap-src00001',
  region = 'ap-guangzhou',
): SnapshotDataStored => ({
  type: 'SnapshotDataStored',
  data: { snapshotId, region, sizeBytes: 4096, digest: 'sha256:abc', chunkCount: 1, storedAt: now },
});

export const copyRequested = (
  targetRegion: string,
  replicationId: string,
  targetSnapshotId = 'snap-tgt00001',
): SnapshotCopyRequested => ({
  type: 'SnapshotCopyRequested',
  data: {
    snapshotId: 'snap-src00001',
    region: 'ap-guangzhou',
    replicationId,
    targetRegion,
    targetSnapshotId,
    requestedAt: now,
  },
});

export const copyEnded = (
  targetRegion: string,
  replicationId: string,
  outcome: SnapshotCopyEnded['data']['outcome'] = 'COMPLETED',
): SnapshotCopyEnded => ({
  type: 'SnapshotCopyEnded',
  data: {
    snapshotId: 'snap-src00001',
    region: 'ap-guangzhou',
    replicationId,
    targetRegion,
    outcome,
    endedAt: later,
  },
});

/** One copy, ap-guangzhou -> ap-shanghai, as every replication event names it. */
export const ref = {
  replicationId: 'repl-00000001',
  sourceSnapshotId: 'snap-src00001',
  targetSnapshotId: 'snap-tgt00001',
  targetRegion: 'ap-shanghai',
};

export const targetRegistered = (): SnapshotRegistered =>
  registered({
    snapshotId: ref.targetSnapshotId,
    region: ref.targetRegion,
    name: 'Copied snap-src00001 from ap-guangzhou',
    copyOf: {
      replicationId: ref.replicationId,
      sourceSnapshotId: ref.sourceSnapshotId,
      sourceRegion: 'ap-guangzhou',
    },
  });

type Of<T extends ReplicationEvent['type']> = Extract<ReplicationEvent, { type: T }>;

/** The copy's events as the catalog and the replicator write them. */
export const copy = {
  requested: (): Of<'ReplicationRequested'> => ({
    type: 'ReplicationRequested',
    data: {
      ...ref,
      accountId,
      sourceRegion: 'ap-guangzhou',
      targetSnapshotName: 'Copied snap-src00001 from ap-guangzhou',
      diskId: 'disk-data0001',
      diskSizeGiB: 10,
      sizeBytes: 4096,
      sourceDigest: 'sha256:abc',
      encrypted: false,
      requestedAt: now,
    },
  }),
  started: (attempt = 1): Of<'ReplicationStarted'> => ({
    type: 'ReplicationStarted',
    data: { ...ref, attempt, bytesTotal: 4096, chunksTotal: 1, startedAt: now },
  }),
  progressed: (sequence: number, percent: number): Of<'ReplicationProgressed'> => ({
    type: 'ReplicationProgressed',
    data: {
      ...ref,
      sequence,
      bytesTotal: 4096,
      bytesDone: Math.round((4096 * percent) / 100),
      bytesTransferred: Math.round((4096 * percent) / 100),
      chunksCopied: 0,
      chunksSkipped: 0,
      percent,
      progressedAt: now,
    },
  }),
  verifying: (): Of<'ReplicationVerifying'> => ({
    type: 'ReplicationVerifying',
    data: { ...ref, verifyingAt: now },
  }),
  completed: (): Of<'ReplicationCompleted'> => ({
    type: 'ReplicationCompleted',
    data: {
      ...ref,
      sizeBytes: 4096,
      digest: 'sha256:abc',
      chunkCount: 1,
      bytesTransferred: 4096,
      chunksCopied: 1,
      chunksSkipped: 0,
      completedAt: later,
    },
  }),
  failed: (reason = 'source data unreadable'): Of<'ReplicationFailed'> => ({
    type: 'ReplicationFailed',
    data: { ...ref, reason, failedAt: later },
  }),
  cancelRequested: (): Of<'ReplicationCancelRequested'> => ({
    type: 'ReplicationCancelRequested',
    data: { ...ref, reason: 'target snapshot deleted', requestedAt: later },
  }),
  cancelled: (): Of<'ReplicationCancelled'> => ({
    type: 'ReplicationCancelled',
    data: { ...ref, cancelledAt: later },
  }),
};
