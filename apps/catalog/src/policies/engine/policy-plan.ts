import {
  planPolicyCopy,
  tagMap,
  planRetention,
  type RetentionCandidate,
  type RetentionDeletion,
  selects,
} from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';
import {
  type SourceSnapshotRow,
  snapshotViewsRepository,
} from '../../read-models/snapshot-views.repository';
import {
  policyEngineRepository,
  type PolicyRule,
  type TargetRow,
} from './policy-engine.repository';
import type { OfferedSnapshot } from './policy-work';

/**
 * Source snapshots of the policy's region from the snapshot view: on one of its disks or,
 * where the view records tags, carrying every tag of its selector. `newestOnly`: the newest
 * NORMAL one of each disk.
 */
async function sourceSnapshots(
  db: SqlExecutor,
  rule: PolicyRule,
  diskIds: readonly string[],
  newestOnly: boolean,
): Promise<SourceSnapshotRow[]> {
  const where = {
    accountId: rule.accountId,
    region: rule.sourceRegion,
    diskIds,
    tags: tagMap(rule.definition.selector.tags ?? []),
  };
  const rows = await snapshotViewsRepository.sourceSnapshots(db, where, newestOnly);
  return rows.filter((r) =>
    selects(rule.definition, {
      region: rule.sourceRegion,
      diskId: r.diskId,
      ...(r.tags ? { tags: r.tags } : {}),
    }),
  );
}

/** The newest NORMAL selected snapshot of each disk: what the policy would copy if it had not. */
export async function newestSelected(
  db: SqlExecutor,
  rule: PolicyRule,
): Promise<OfferedSnapshot[]> {
  const rows = await sourceSnapshots(db, rule, rule.definition.selector.diskIds ?? [], true);
  return rows.map((r) => ({
    snapshotId: r.snapshotId,
    diskId: r.diskId,
    createdAt: new Date(r.createdAt).toISOString(),
  }));
}

export interface PlannedCopy {
  snapshotId: string;
  diskId: string;
  destinationRegion: string;
}

/** The copies the policy would request now, planned exactly as the engine plans them. */
export async function planCopies(
  db: SqlExecutor,
  rule: PolicyRule,
  targets: readonly TargetRow[],
  now: string,
): Promise<PlannedCopy[]> {
  if (!rule.definition.enabled) return [];
  const copies: PlannedCopy[] = [];
  for (const snapshot of await newestSelected(db, rule))
    for (const { region } of rule.definition.destinations) {
      const target = targets.find((t) => t.diskId === snapshot.diskId && t.region === region);
      const plan = planPolicyCopy(
        target?.plan ?? {},
        snapshot,
        rule.definition.minIntervalMinutes,
        now,
      );
      if (plan.action === 'request')
        copies.push({
          snapshotId: snapshot.snapshotId,
          diskId: snapshot.diskId,
          destinationRegion: region,
        });
    }
  return copies;
}

export interface PlannedDeletion extends RetentionDeletion {
  /** The newest NORMAL snapshot of the disk there when planned: it must still be there to delete. */
  keeps: string;
}

/**
 * What the policy's retention deletes now: in each destination among the copies of its disks
 * (only its own go), and in the source region among the snapshots it selects.
 */
export async function planDeletions(
  db: SqlExecutor,
  rule: PolicyRule,
  targets: readonly TargetRow[],
  now: string,
): Promise<PlannedDeletion[]> {
  const { definition } = rule;
  if (!definition.enabled) return [];
  const disks = [
    ...new Set([...(definition.selector.diskIds ?? []), ...targets.map((t) => t.diskId)]),
  ];
  const waiting = new Set(
    targets.flatMap((t) => (t.plan.waiting ? [t.plan.waiting.snapshotId] : [])),
  );
  const deletions: PlannedDeletion[] = [];
  const copies = await policyEngineRepository.copiesAt(
    db,
    rule.accountId,
    rule.sourceRegion,
    disks,
    definition.destinations.map((d) => d.region),
  );
  for (const destination of definition.destinations) {
    const candidates: RetentionCandidate[] = copies
      .filter((c) => c.region === destination.region)
      .map((c) => ({
        snapshotId: c.snapshotId,
        region: c.region,
        diskId: c.diskId,
        takenAt: c.recoversTo,
        normal: c.state === 'NORMAL',
        owned: c.policyId === rule.policyId,
        copying: c.copying,
      }));
    deletions.push(...guarded(planRetention(destination.retain, candidates, now), candidates));
  }
  if (definition.sourceRetain) {
    const sources = await sourceSnapshots(db, rule, disks, false);
    const candidates: RetentionCandidate[] = sources.map((s) => ({
      snapshotId: s.snapshotId,
      region: rule.sourceRegion,
      diskId: s.diskId,
      takenAt: new Date(s.createdAt).toISOString(),
      normal: s.state === 'NORMAL',
      owned: true, // selected by the policy (sourceSnapshots keeps only those)
      copying: s.copying || waiting.has(s.snapshotId),
    }));
    deletions.push(...guarded(planRetention(definition.sourceRetain, candidates, now), candidates));
  }
  return deletions;
}

/** Names, with each deletion, the newest NORMAL snapshot of its disk that retention keeps. */
function guarded(
  deletions: RetentionDeletion[],
  candidates: readonly RetentionCandidate[],
): PlannedDeletion[] {
  return deletions.map((d) => {
    const newest = candidates
      .filter((c) => c.normal && c.region === d.region && c.diskId === d.diskId)
      .reduce((a, b) =>
        a.takenAt > b.takenAt || (a.takenAt === b.takenAt && a.snapshotId > b.snapshotId) ? a : b,
      );
    return { ...d, keeps: newest.snapshotId };
  });
}
