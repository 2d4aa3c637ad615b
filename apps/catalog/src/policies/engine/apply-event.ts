import {
  type CatalogEvent,
  definitionOf,
  planPolicyCopy,
  policyCopyEnded,
  policyCopyQueued,
  selects,
  type Snapshot,
} from '@snapferry/domain';
import type { RecordedEvent } from '@snapferry/event-store';
import { deadlineOf, type PolicyRule, policyEngineRepository } from './policy-engine.repository';
import type { OfferedSnapshot, PolicyWork } from './policy-work';

/** The events the policy engine follows; the checkpoint moves past all others. */
export const policyEngineEventTypes = [
  'PolicyCreated',
  'PolicyChanged',
  'PolicyDeleted',
  'SnapshotRegistered',
  'SnapshotDataStored',
  'SnapshotCopyFailed',
  'SnapshotCopyEnded',
  'SnapshotDeleted',
] as const satisfies readonly CatalogEvent['type'][];

export type PolicyEngineEvent = Extract<
  CatalogEvent,
  { type: (typeof policyEngineEventTypes)[number] }
>;

/** What one event of the log means for the policies: decided in the engine's batch transaction. */
export async function applyPolicyEvent(
  work: PolicyWork,
  event: RecordedEvent<PolicyEngineEvent>,
): Promise<void> {
  const { db } = work.tx;
  switch (event.type) {
    case 'PolicyCreated':
    case 'PolicyChanged': {
      const { policyId, accountId, sourceRegion } = event.data;
      const rule = { policyId, accountId, sourceRegion, definition: definitionOf(event.data) };
      await policyEngineRepository.putRule(db, rule);
      work.forget(policyId);
      return syncTargets(work, rule);
    }
    case 'PolicyDeleted':
      await policyEngineRepository.deleteRule(db, event.data.policyId);
      return work.forget(event.data.policyId);
    case 'SnapshotRegistered': {
      const { copyOf } = event.data;
      if (!copyOf) return;
      const source = await work.tx.snapshot(copyOf.sourceSnapshotId);
      const policyId = event.metadata['policyId'];
      return policyEngineRepository.putCopy(db, {
        snapshotId: event.data.snapshotId,
        accountId: event.data.accountId,
        sourceRegion: copyOf.sourceRegion,
        diskId: event.data.diskId,
        region: event.data.region,
        sourceSnapshotId: copyOf.sourceSnapshotId,
        recoversTo: source.state?.createdAt ?? event.data.registeredAt,
        state: 'COPYING',
        policyId: typeof policyId === 'string' ? policyId : null,
      });
    }
    case 'SnapshotDataStored': {
      const snapshot = (await work.tx.snapshot(event.data.snapshotId)).state;
      if (!snapshot) return;
      if (snapshot.copyOf) {
        const point = await policyEngineRepository.moveCopy(db, snapshot.snapshotId, 'NORMAL');
        return point && work.refresh(point);
      }
      if (snapshot.status !== 'NORMAL') return; // deleted since
      for (const rule of await work.rulesFor(snapshot.accountId, snapshot.region))
        if (rule.definition.enabled && selects(rule.definition, snapshot))
          await offerSnapshot(work, rule, offered(snapshot), event.eventId);
      return;
    }
    case 'SnapshotCopyFailed':
      await policyEngineRepository.moveCopy(db, event.data.snapshotId, 'FAILED');
      return;
    case 'SnapshotDeleted': {
      const point = await policyEngineRepository.moveCopy(db, event.data.snapshotId, null);
      return point && work.refresh(point);
    }
    case 'SnapshotCopyEnded':
      return copyEnded(work, event.data.replicationId, event.eventId);
  }
}

const offered = (snapshot: Snapshot): OfferedSnapshot => ({
  snapshotId: snapshot.snapshotId,
  createdAt: snapshot.createdAt,
  diskId: snapshot.diskId,
});

/**
 * A selected snapshot of a disk is NORMAL: to each destination the policy copies it now,
 * queues it behind the copy in flight (the newest wins), or skips it (older, or within the
 * minimum interval). Used by the log's events and by the policy's pass alike.
 */
export async function offerSnapshot(
  work: PolicyWork,
  rule: PolicyRule,
  snapshot: OfferedSnapshot,
  causationId: string,
): Promise<void> {
  const targets = await work.ensureTargets(
    rule,
    rule.definition.destinations.map((d) => ({ diskId: snapshot.diskId, region: d.region })),
  );
  const now = work.now;
  const toRequest = [];
  for (const target of targets) {
    const plan = planPolicyCopy(target.plan, snapshot, rule.definition.minIntervalMinutes, now);
    if (plan.action === 'request') toRequest.push(target);
    if (plan.action === 'wait')
      work.put({ ...target, plan: policyCopyQueued(target.plan, snapshot) });
  }
  await work.requestCopies(rule, snapshot, toRequest, causationId);
}

/** A copy ended: where it was a policy's copy in flight, the snapshot waiting behind it starts. */
async function copyEnded(
  work: PolicyWork,
  replicationId: string,
  causationId: string,
): Promise<void> {
  for (const target of await work.targetsCopying(replicationId)) {
    const { target: free, next } = policyCopyEnded(target.plan, replicationId);
    const row = { ...target, plan: free };
    work.put(row);
    const rule = await work.rule(target.policyId);
    if (next && rule?.definition.enabled)
      await work.requestCopies(rule, { ...next, diskId: target.diskId }, [row], causationId);
  }
}

/**
 * A policy was created or changed: its targets follow its destinations and disks (those of
 * another source region, or no longer selected, go), listed disks get theirs, and every
 * objective is counted again from the policy's `rpoMinutes`.
 */
async function syncTargets(work: PolicyWork, rule: PolicyRule): Promise<void> {
  const { definition } = rule;
  const regions = new Set(definition.destinations.map((d) => d.region));
  const disks = new Set(definition.selector.diskIds ?? []);
  const byTags = (definition.selector.tags?.length ?? 0) > 0;
  const existing = await work.targetsOf(rule.policyId);
  const stale = existing.filter(
    (t) =>
      t.sourceRegion !== rule.sourceRegion ||
      !regions.has(t.region) ||
      (!byTags && !disks.has(t.diskId)),
  );
  await work.removeTargets(stale);
  await work.ensureTargets(
    rule,
    [...disks].flatMap((diskId) => [...regions].map((region) => ({ diskId, region }))),
  );
  for (const target of await work.targetsOf(rule.policyId)) {
    const moved = { ...target, breachesAt: deadlineOf(target.recoversTo, definition) };
    work.put(moved);
    await work.judge(moved, rule);
  }
}
