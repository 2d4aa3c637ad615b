import type { ErrorCode } from '../shared/event';
import { refuse } from '../shared/event';
import type { RegionCatalog } from '../regions/region-catalog';
import type { SnapshotState } from '../snapshots/snapshot';
import {
  existingSnapshot,
  maxSnapshotNameLength,
  nameLength,
} from '../snapshots/snapshot-decisions';
import type { SnapshotCopyRequested, SnapshotRegistered } from '../snapshots/snapshot-events';
import { copyTags } from '../snapshots/tags';
import { judgeDestination } from './judge-destination';
import type { ReplicationRequested } from './replication-events';

export interface RequestReplication {
  accountId: string;
  sourceSnapshotId: string;
  destinationRegions: string[];
  snapshotName?: string;
  /** ISO time by which the copy should be NORMAL; the region starts earliest deadlines first. */
  deadline?: string;
  /** The replication policy asking for the copy (tags the copy `snapferry:policy`). */
  policyId?: string;
  now: string;
}

/** The longest a deadline may lie ahead. */
export const maxDeadlineAheadMs = 366 * 24 * 3600_000;

/** A deadline must be an ISO time with a zone, after `now`, at most a year ahead; returns it normalised. */
export function assertDeadline(deadline: string, now: string): string {
  const at = Date.parse(deadline);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(deadline) ||
    Number.isNaN(at)
  )
    refuse(
      'InvalidParameterValue.Deadline',
      'deadline must be an ISO 8601 time with a zone, such as 2030-01-01T12:00:00Z',
    );
  if (at <= Date.parse(now))
    refuse('InvalidParameterValue.Deadline', `deadline ${deadline} is not in the future`);
  if (at - Date.parse(now) > maxDeadlineAheadMs)
    refuse('InvalidParameterValue.Deadline', 'deadline must be at most a year ahead');
  return new Date(at).toISOString();
}

export interface RequestReplicationContext {
  source: SnapshotState;
  betaEnabled: boolean;
  regions: RegionCatalog;
  /** Snapshots the account holds in a region now, copies in flight included. */
  snapshotsInRegion: (region: string) => number;
  newSnapshotId: () => string;
  newReplicationId: () => string;
}

export interface DestinationResult {
  destinationRegion: string;
  snapshotId?: string;
  replicationId?: string;
  code: 'Success' | ErrorCode;
  message: string;
}

/** One accepted destination: the events for the source, the copy and the new target. */
export interface AcceptedCopy {
  copyRequested: SnapshotCopyRequested;
  replicationRequested: ReplicationRequested;
  targetRegistered: SnapshotRegistered;
}

export interface ReplicationDecision {
  results: DestinationResult[];
  accepted: AcceptedCopy[];
}

export const defaultCopyName = (sourceSnapshotId: string, sourceRegion: string): string =>
  `Copied ${sourceSnapshotId} from ${sourceRegion}`;

/**
 * Starts cross-region copies. What is wrong with the request as a whole refuses it (throws);
 * each destination is then judged on its own and gets its own result code.
 */
export function requestReplication(
  command: RequestReplication,
  context: RequestReplicationContext,
): ReplicationDecision {
  const { accountId, sourceSnapshotId, destinationRegions, snapshotName, policyId, now } = command;
  if (!context.betaEnabled)
    refuse(
      'UnauthorizedOperation.NotInBeta',
      'cross-region replication is not enabled for this account; ask an operator to enable it',
    );
  const source = existingSnapshot(context.source, accountId, sourceSnapshotId);
  if (source.diskUsage === 'SYSTEM_DISK')
    refuse(
      'UnsupportedOperation.SystemDiskSnapshot',
      'snapshots of system disks cannot be copied to other regions',
    );
  if (source.status !== 'NORMAL')
    refuse(
      'UnsupportedOperation.SnapshotNotNormal',
      `snapshot ${sourceSnapshotId} is ${source.status}; only NORMAL snapshots can be copied`,
    );
  if (snapshotName !== undefined && nameLength(snapshotName) > maxSnapshotNameLength)
    refuse(
      'InvalidParameterValue.SnapshotName',
      `snapshotName must be at most ${maxSnapshotNameLength} characters`,
    );
  if (destinationRegions.length === 0)
    refuse(
      'InvalidParameterValue.DestinationRegions',
      'destinationRegions must name at least one region',
    );
  if (new Set(destinationRegions).size !== destinationRegions.length)
    refuse(
      'InvalidParameterValue.DestinationRegions',
      'destinationRegions must not repeat a region',
    );
  const deadline =
    command.deadline === undefined ? undefined : assertDeadline(command.deadline, now);
  const tags = copyTags(source.tags, {
    sourceSnapshotId,
    sourceRegion: source.region,
    ...(policyId ? { policyId } : {}),
  });

  const results: DestinationResult[] = [];
  const accepted: AcceptedCopy[] = [];
  for (const destinationRegion of destinationRegions) {
    const refusal = judgeDestination(destinationRegion, {
      sourceSnapshotId,
      sourceRegion: source.region,
      regions: context.regions,
      copyInFlightTo: (region) => source.copiesInFlight[region] !== undefined,
      snapshotsInRegion: context.snapshotsInRegion,
    });
    if (refusal) {
      results.push({ destinationRegion, code: refusal[0], message: refusal[1] });
      continue;
    }
    const replicationId = context.newReplicationId();
    const targetSnapshotId = context.newSnapshotId();
    const name = snapshotName ?? defaultCopyName(sourceSnapshotId, source.region);
    accepted.push(acceptCopy(replicationId, targetSnapshotId, destinationRegion, name));
    results.push({
      destinationRegion,
      snapshotId: targetSnapshotId,
      replicationId,
      code: 'Success',
      message: `copying ${sourceSnapshotId} to ${destinationRegion} as ${targetSnapshotId}`,
    });
  }
  return { results, accepted };

  function acceptCopy(
    replicationId: string,
    targetSnapshotId: string,
    targetRegion: string,
    name: string,
  ): AcceptedCopy {
    const ref = { replicationId, sourceSnapshotId, targetSnapshotId, targetRegion };
    return {
      copyRequested: {
        type: 'SnapshotCopyRequested',
        data: {
          snapshotId: sourceSnapshotId,
          region: source.region,
          replicationId,
          targetRegion,
          targetSnapshotId,
          requestedAt: now,
        },
      },
      replicationRequested: {
        type: 'ReplicationRequested',
        data: {
          ...ref,
          accountId,
          sourceRegion: source.region,
          targetSnapshotName: name,
          diskId: source.diskId,
          diskSizeGiB: source.diskSizeGiB,
          sizeBytes: source.sizeBytes ?? 0,
          sourceDigest: source.digest ?? '',
          encrypted: source.encrypted,
          ...(deadline ? { deadline } : {}),
          ...(policyId ? { policyId } : {}),
          requestedAt: now,
        },
      },
      targetRegistered: {
        type: 'SnapshotRegistered',
        data: {
          snapshotId: targetSnapshotId,
          accountId,
          region: targetRegion,
          diskId: source.diskId,
          diskUsage: source.diskUsage,
          diskSizeGiB: source.diskSizeGiB,
          name,
          encrypted: source.encrypted,
          copyOf: { replicationId, sourceSnapshotId, sourceRegion: source.region },
          tags,
          registeredAt: now,
        },
      },
    };
  }
}
