import type { CatalogEvent } from '@snapferry/domain';
import type { LoggedEvent } from '../api/types';
import { formatBytes } from '../format';

/** The logged event as the domain's union, so a switch on `type` narrows `data`. */
export const asCatalogEvent = (event: LoggedEvent): CatalogEvent =>
  ({ type: event.type, data: event.data }) as CatalogEvent;

/** Every snapshot an event is about: its own stream's, or both ends of a copy. */
export function snapshotIdsOf(event: LoggedEvent): string[] {
  const data = event.data as Partial<
    Record<'snapshotId' | 'sourceSnapshotId' | 'targetSnapshotId', string>
  >;
  return [data.snapshotId, data.sourceSnapshotId, data.targetSnapshotId].filter(
    (id): id is string => typeof id === 'string',
  );
}

/** The replication an event belongs to, if any (its timeline page). */
export function replicationIdOf(event: LoggedEvent): string | undefined {
  const data = event.data as { replicationId?: unknown };
  return typeof data.replicationId === 'string' ? data.replicationId : undefined;
}

/** Every region an event touches: its own, and both ends of a copy. */
export function regionsOf(event: LoggedEvent): string[] {
  const data = event.data as Partial<Record<'region' | 'sourceRegion' | 'targetRegion', string>>;
  return [data.region, data.sourceRegion, data.targetRegion].filter(
    (r): r is string => typeof r === 'string',
  );
}

export interface EventFilter {
  type?: string;
  snapshotId?: string;
}

/** The event log page's filters: by type, and by snapshot (its own events and its copies'). */
export function matchesFilter(event: LoggedEvent, filter: EventFilter): boolean {
  if (filter.type && event.type !== filter.type) return false;
  const snapshotId = filter.snapshotId?.trim();
  if (snapshotId && !snapshotIdsOf(event).includes(snapshotId)) return false;
  return true;
}

/** One line in words for the event log. */
export function summarize(logged: LoggedEvent): string {
  const event = asCatalogEvent(logged);
  switch (event.type) {
    case 'SnapshotRegistered': {
      const d = event.data;
      return d.copyOf
        ? `${d.snapshotId} arriving in ${d.region}, a copy of ${d.copyOf.sourceSnapshotId} from ${d.copyOf.sourceRegion}`
        : `${d.snapshotId} registered in ${d.region} (${d.diskId}, ${d.diskSizeGiB} GiB)`;
    }
    case 'SnapshotDataStored':
      return `${event.data.snapshotId} data stored: ${formatBytes(event.data.sizeBytes)} in ${event.data.chunkCount} chunks`;
    case 'SnapshotRenamed':
      return `${event.data.snapshotId} renamed to “${event.data.name}”`;
    case 'SnapshotTagsChanged':
      return `${event.data.snapshotId} tags: ${event.data.tags.map((t) => `${t.key}=${t.value}`).join(', ') || 'none'}`;
    case 'SnapshotCopyRequested':
      return `${event.data.snapshotId} copy to ${event.data.targetRegion} requested as ${event.data.targetSnapshotId}`;
    case 'SnapshotCopyEnded':
      return `${event.data.snapshotId} copy to ${event.data.targetRegion} ended: ${event.data.outcome.toLowerCase()}`;
    case 'SnapshotCopyFailed':
      return `${event.data.snapshotId} copy failed: ${event.data.reason}`;
    case 'SnapshotDeleted':
      return `${event.data.snapshotId} deleted from ${event.data.region}`;
    case 'ReplicationRequested':
      return `copy of ${event.data.sourceSnapshotId} (${event.data.sourceRegion}) to ${event.data.targetSnapshotId} (${event.data.targetRegion}) requested${event.data.deadline ? `, deadline ${event.data.deadline}` : ''}`;
    case 'ReplicationStarted':
      return `attempt ${event.data.attempt} started: ${formatBytes(event.data.bytesTotal)} in ${event.data.chunksTotal} chunks`;
    case 'ReplicationProgressed':
      return `${Math.floor(event.data.percent)}% · ${formatBytes(event.data.bytesDone)} of ${formatBytes(event.data.bytesTotal)}`;
    case 'ReplicationVerifying':
      return `verifying ${event.data.targetSnapshotId} in ${event.data.targetRegion}`;
    case 'ReplicationCompleted':
      return `completed: ${formatBytes(event.data.sizeBytes)}, ${event.data.chunksCopied} chunks copied, ${event.data.chunksSkipped} already there`;
    case 'ReplicationFailed':
      return `failed: ${event.data.reason}`;
    case 'ReplicationCancelRequested':
      return `cancel requested: ${event.data.reason}`;
    case 'ReplicationDeadlineMissed':
      return `deadline ${event.data.deadline} missed at ${Math.floor(event.data.percent)}%; the copy goes on`;
    case 'ReplicationCancelled':
      return `cancelled; ${event.data.targetSnapshotId} removed from ${event.data.targetRegion}`;
    case 'AccountBetaEnabled':
      return `cross-region replication enabled for ${event.data.accountId} by ${event.data.enabledBy}`;
    case 'AccountBetaDisabled':
      return `cross-region replication disabled for ${event.data.accountId} by ${event.data.disabledBy}`;
    case 'PolicyCreated':
      return `policy ${event.data.policyId} “${event.data.name}” created for ${event.data.sourceRegion}`;
    case 'PolicyChanged':
      return `policy ${event.data.policyId} changed${event.data.enabled ? '' : ' (disabled)'}`;
    case 'PolicyDeleted':
      return `policy ${event.data.policyId} deleted`;
    case 'PolicyCopyRefused':
      return `policy ${event.data.policyId} could not copy ${event.data.snapshotId} to ${event.data.destinationRegion}: ${event.data.code}`;
    case 'RecoveryPointObjectiveBreached':
      return `${event.data.diskId} in ${event.data.region}: recovery point ${event.data.ageSeconds} s old, objective ${event.data.rpoMinutes} min breached`;
    case 'RecoveryPointObjectiveRestored':
      return `${event.data.diskId} in ${event.data.region}: recovery point objective met again (${event.data.ageSeconds} s old)`;
  }
}
