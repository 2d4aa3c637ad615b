/**
 * What a policy remembers about one disk and one destination. At most one copy of the disk is
 * in flight there for the policy, and at most one more waits: the newest snapshot that became
 * NORMAL meanwhile. A newer one replaces it (the newest wins), so the backlog never grows;
 * the running copy is not cancelled, since a copy restarted for every new snapshot would never
 * finish on a disk snapshotted faster than it copies.
 */
export interface PolicyTarget {
  /** When the policy last requested a copy of the disk here (the minimum interval counts from it). */
  lastRequestedAt?: string;
  /** The creation time of the newest snapshot requested or queued here: nothing older follows it. */
  newestSourceAt?: string;
  inFlight?: { replicationId: string; snapshotId: string };
  waiting?: { snapshotId: string; createdAt: string };
}

export interface PolicySnapshot {
  snapshotId: string;
  /** When the snapshot was taken (registered): the time a copy of it recovers to. */
  createdAt: string;
}

export type CopyPlan =
  | { action: 'request' }
  /** Queued behind the copy in flight; `supersedes` is the waiting snapshot it replaces. */
  | { action: 'wait'; supersedes?: string }
  | { action: 'skip'; reason: 'older' | 'interval' };

const minutes = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 60_000;

/** What the policy does when a selected snapshot of the disk becomes NORMAL at `now`. */
export function planPolicyCopy(
  target: PolicyTarget,
  snapshot: PolicySnapshot,
  minIntervalMinutes: number,
  now: string,
): CopyPlan {
  if (target.newestSourceAt !== undefined && snapshot.createdAt <= target.newestSourceAt)
    return { action: 'skip', reason: 'older' };
  if (
    target.lastRequestedAt !== undefined &&
    minutes(target.lastRequestedAt, now) < minIntervalMinutes
  )
    return { action: 'skip', reason: 'interval' };
  if (target.inFlight)
    return target.waiting
      ? { action: 'wait', supersedes: target.waiting.snapshotId }
      : { action: 'wait' };
  return { action: 'request' };
}

/** The copy was requested: it is in flight, and whatever waited is gone (it was this one, or older). */
export const policyCopyStarted = (
  target: PolicyTarget,
  snapshot: PolicySnapshot,
  replicationId: string,
  now: string,
): PolicyTarget => ({
  lastRequestedAt: now,
  newestSourceAt: later(target.newestSourceAt, snapshot.createdAt),
  inFlight: { replicationId, snapshotId: snapshot.snapshotId },
});

export const policyCopyQueued = (target: PolicyTarget, snapshot: PolicySnapshot): PolicyTarget => ({
  ...target,
  newestSourceAt: later(target.newestSourceAt, snapshot.createdAt),
  waiting: { snapshotId: snapshot.snapshotId, createdAt: snapshot.createdAt },
});

/**
 * The destination refused the copy (recorded as `PolicyCopyRefused`): the snapshot is dealt
 * with, and the next newer one is tried, with no wait for the interval (nothing was copied).
 */
export const policyCopyRefused = (
  target: PolicyTarget,
  snapshot: PolicySnapshot,
): PolicyTarget => ({
  ...target,
  newestSourceAt: later(target.newestSourceAt, snapshot.createdAt),
});

/**
 * A copy ended (completed, failed or cancelled). If it was the policy's copy in flight, the
 * slot is free and the waiting snapshot, if any, is `next`: the caller requests it now.
 */
export function policyCopyEnded(
  target: PolicyTarget,
  replicationId: string,
): { target: PolicyTarget; next?: PolicySnapshot } {
  if (target.inFlight?.replicationId !== replicationId) return { target };
  const { inFlight: _ended, waiting, ...rest } = target;
  return waiting ? { target: rest, next: waiting } : { target: rest };
}

const later = (a: string | undefined, b: string): string => (a !== undefined && a > b ? a : b);
