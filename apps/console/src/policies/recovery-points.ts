import {
  policyEventTypes,
  recoveryPointAgeSeconds,
  recoveryPointState,
  type RecoveryPointState,
  type RetentionRule,
} from '@snapferry/domain';
import type { LoggedEvent, Policy, PolicyStatus, RecoveryPoint } from '../api/types';
import { regionsOf } from '../events/event-summary';

export const recoveryPointLabels: Record<RecoveryPointState, string> = {
  OK: 'OK',
  AT_RISK: 'At risk',
  BREACHED: 'Breached',
  NONE: 'No copy yet',
};

/**
 * A recovery point as it stands `elapsedMs` after the catalog evaluated it: its age grows and
 * its state turns AT_RISK and BREACHED on time between two reads (the same rule the catalog
 * applies, on the catalog's clock, so a browser's wrong clock does not matter).
 */
export function recoveryPointNow(
  point: RecoveryPoint,
  status: Pick<PolicyStatus, 'evaluatedAt' | 'rpoMinutes'>,
  elapsedMs: number,
): RecoveryPoint {
  if (point.recoversTo === null) return point;
  const now = new Date(Date.parse(status.evaluatedAt) + Math.max(0, elapsedMs)).toISOString();
  return {
    ...point,
    ageSeconds: recoveryPointAgeSeconds(point.recoversTo, now),
    state: recoveryPointState(point.recoversTo, status.rpoMinutes, now),
  };
}

/** An age as people read it: `42 s`, `5 min 07 s`, `3 h 02 min`, `2 d 04 h`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
  return `${Math.floor(s / 86400)} d ${pad(Math.floor(s / 3600) % 24)} h`;
}

/** `newest 3, 7 days` */
export function retainText(retain: RetentionRule | undefined): string {
  const parts = [
    retain?.count !== undefined ? `newest ${retain.count}` : null,
    retain?.maxAgeDays !== undefined
      ? `${retain.maxAgeDays} ${retain.maxAgeDays === 1 ? 'day' : 'days'}`
      : null,
  ].filter((p) => p !== null);
  return parts.join(', ') || 'all';
}

/** `disk-a, disk-b; tier=gold`: what the policy selects. */
export function selectorText(selector: Policy['selector']): string {
  const disks = selector.diskIds?.join(', ') ?? '';
  const tags = selector.tags?.map((t) => `${t.key}=${t.value}`).join(', ') ?? '';
  return [disks, tags].filter((p) => p !== '').join('; ');
}

/** Events after which a policy's list or recovery points may read differently. */
const policyEvents = new Set<string>(policyEventTypes);
const snapshotEventTypes = new Set([
  'SnapshotDataStored',
  'SnapshotTagsChanged',
  'SnapshotDeleted',
  'SnapshotCopyEnded',
  'ReplicationCompleted',
]);

/** Does this event change what the policies page shows for `policies`? */
export function touchesPolicies(event: LoggedEvent, policies: readonly Policy[]): boolean {
  if (policyEvents.has(event.type)) return true;
  if (!snapshotEventTypes.has(event.type)) return false;
  const regions = regionsOf(event);
  if (regions.length === 0) return policies.length > 0; // an event without its region may be any
  return policies.some(
    (p) =>
      regions.includes(p.sourceRegion) || p.destinations.some((d) => regions.includes(d.region)),
  );
}
