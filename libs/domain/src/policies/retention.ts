import type { RetentionRule } from './policy-definition';

/** A snapshot retention may look at: every NORMAL one of a disk counts for "newest". */
export interface RetentionCandidate {
  snapshotId: string;
  region: string;
  diskId: string;
  /** When its data was taken: a copy's source snapshot's creation time, a source's own. */
  takenAt: string;
  normal: boolean;
  /** Made by the policy (a copy) or selected by it (a source): nothing else is ever deleted. */
  owned: boolean;
  /** A copy is reading from it right now. */
  copying: boolean;
}

export interface RetentionDeletion {
  snapshotId: string;
  region: string;
  diskId: string;
  reason: string;
}

const dayMs = 86_400_000;
const newestFirst = (a: RetentionCandidate, b: RetentionCandidate): number =>
  a.takenAt === b.takenAt
    ? b.snapshotId.localeCompare(a.snapshotId)
    : a.takenAt < b.takenAt
      ? 1
      : -1;

/**
 * What a retention rule deletes among these snapshots at `now`, disk by disk in each region.
 * Only NORMAL snapshots the policy owns go, each when one of the rule's limits lets it go (not
 * among the newest `count` of the policy's, or older than `maxAgeDays`), and never the newest
 * NORMAL snapshot of the disk (whoever made it) nor one a copy is reading from. Whatever is
 * not among the candidates (it appeared after they were read) is never named.
 */
export function planRetention(
  rule: RetentionRule,
  candidates: readonly RetentionCandidate[],
  now: string,
): RetentionDeletion[] {
  const groups = new Map<string, RetentionCandidate[]>();
  for (const candidate of candidates) {
    if (!candidate.normal) continue;
    const key = `${candidate.region}\u0000${candidate.diskId}`;
    groups.set(key, [...(groups.get(key) ?? []), candidate]);
  }
  const deletions: RetentionDeletion[] = [];
  for (const group of groups.values()) {
    const sorted = [...group].sort(newestFirst);
    let rank = 0;
    sorted.forEach((candidate, index) => {
      if (!candidate.owned) return;
      const reason = reasonToDelete(rule, rank++, candidate.takenAt, now);
      if (index === 0 || candidate.copying || !reason) return;
      const { snapshotId, region, diskId } = candidate;
      deletions.push({ snapshotId, region, diskId, reason });
    });
  }
  return deletions;
}

function reasonToDelete(
  rule: RetentionRule,
  rank: number,
  takenAt: string,
  now: string,
): string | undefined {
  if (rule.count !== undefined && rank >= rule.count)
    return `not among the newest ${rule.count} of its disk`;
  if (
    rule.maxAgeDays !== undefined &&
    Date.parse(now) - Date.parse(takenAt) > rule.maxAgeDays * dayMs
  )
    return `older than ${rule.maxAgeDays} days`;
  return undefined;
}
