import {
  DomainError,
  type DestinationResult,
  judgeRecoveryPoint,
  type PolicyCopyRefused,
  policyCopyRefused,
  policyCopyStarted,
  type PolicySnapshot,
  type RegionCatalog,
  streamIds,
} from '@snapferry/domain';
import { decideCopies, QuotaLocks } from '../../copies/decide-copies';
import type { CatalogTransaction } from '../../store/catalog-store';
import {
  deadlineOf,
  type PointKey,
  pointKey,
  type PolicyRule,
  policyEngineRepository,
  targetKey,
  type TargetRow,
} from './policy-engine.repository';

/** A selected source snapshot a policy may copy: which disk, whose, and when it was taken. */
export interface OfferedSnapshot extends PolicySnapshot {
  diskId: string;
}

/**
 * The policy engine's work in one transaction (a subscription batch, a policy's pass, a tick
 * of the timer): policies and targets read once and kept, copies requested through the same
 * decision as `POST /v1/snapshots/{id}/copies`, refusals and recovery-point events appended,
 * and the changed targets written back in one statement by `flush`.
 */
export class PolicyWork {
  private readonly rules = new Map<string, PolicyRule | null>();
  private readonly rulesBySource = new Map<string, PolicyRule[]>();
  private readonly targets = new Map<string, TargetRow>();
  private readonly dirty = new Set<string>();
  private readonly quota: QuotaLocks;

  constructor(
    readonly tx: CatalogTransaction,
    private readonly regions: RegionCatalog,
    readonly now: string,
  ) {
    this.quota = new QuotaLocks(tx.db);
  }

  async rule(policyId: string): Promise<PolicyRule | undefined> {
    if (!this.rules.has(policyId))
      this.rules.set(policyId, (await policyEngineRepository.rule(this.tx.db, policyId)) ?? null);
    return this.rules.get(policyId) ?? undefined;
  }

  async rulesFor(accountId: string, sourceRegion: string): Promise<PolicyRule[]> {
    const key = `${accountId}\u0000${sourceRegion}`;
    let rules = this.rulesBySource.get(key);
    if (!rules) {
      rules = await policyEngineRepository.rulesFor(this.tx.db, accountId, sourceRegion);
      this.rulesBySource.set(key, rules);
      for (const rule of rules) this.rules.set(rule.policyId, rule);
    }
    return rules;
  }

  /** A policy was created, changed or deleted: what this transaction knew of it is stale. */
  forget(policyId: string): void {
    this.rules.delete(policyId);
    this.rulesBySource.clear();
    for (const [key, target] of this.targets)
      if (target.policyId === policyId) {
        this.targets.delete(key);
        this.dirty.delete(key);
      }
  }

  /** Keeps rows read from the table, unless this transaction already holds a newer copy. */
  private keep(rows: readonly TargetRow[]): TargetRow[] {
    return rows.map((row) => {
      const key = targetKey(row);
      const held = this.targets.get(key);
      if (held) return held;
      this.targets.set(key, row);
      return row;
    });
  }

  async targetsOf(policyId: string): Promise<TargetRow[]> {
    await this.flush(); // the table is read whole: it must hold what this transaction changed
    return this.keep(await policyEngineRepository.targetsOf(this.tx.db, policyId));
  }

  async targetsAt(point: PointKey): Promise<TargetRow[]> {
    await this.flush();
    return this.keep(await policyEngineRepository.targetsAt(this.tx.db, point));
  }

  async targetsCopying(replicationId: string): Promise<TargetRow[]> {
    const held = [...this.targets.values()].filter(
      (t) => t.plan.inFlight?.replicationId === replicationId,
    );
    if (held.length > 0) return held;
    await this.flush();
    return this.keep(await policyEngineRepository.targetsCopying(this.tx.db, [replicationId]));
  }

  /** The policy's targets for these disks and destinations, new ones with their newest copy. */
  async ensureTargets(
    rule: PolicyRule,
    pairs: readonly { diskId: string; region: string }[],
  ): Promise<TargetRow[]> {
    const keys = pairs.map((p) => ({ policyId: rule.policyId, ...p }));
    const unknown = keys.filter((k) => !this.targets.has(targetKey(k)));
    this.keep(await policyEngineRepository.targets(this.tx.db, unknown));
    const missing = keys.filter((k) => !this.targets.has(targetKey(k)));
    const points = missing.map((k) => ({
      accountId: rule.accountId,
      sourceRegion: rule.sourceRegion,
      diskId: k.diskId,
      region: k.region,
    }));
    const newest = await policyEngineRepository.newestCopies(this.tx.db, points);
    for (const point of points) {
      const copy = newest.get(pointKey(point));
      const recoversTo = copy?.recoversTo ?? null;
      this.put({
        policyId: rule.policyId,
        ...point,
        plan: {},
        recoverySnapshotId: copy?.snapshotId ?? null,
        recoversTo,
        breachesAt: deadlineOf(recoversTo, rule.definition),
        breached: false,
      });
    }
    return keys.map((k) => this.targets.get(targetKey(k))!);
  }

  put(target: TargetRow): void {
    const key = targetKey(target);
    this.targets.set(key, target);
    this.dirty.add(key);
  }

  async removeTargets(targets: readonly TargetRow[]): Promise<void> {
    for (const target of targets) {
      this.targets.delete(targetKey(target));
      this.dirty.delete(targetKey(target));
    }
    await policyEngineRepository.deleteTargets(this.tx.db, targets);
  }

  /**
   * Requests copies of one snapshot to these targets (one destination each) as one copy
   * request: accepted ones are in flight, refused ones recorded as `PolicyCopyRefused`.
   */
  async requestCopies(
    rule: PolicyRule,
    snapshot: OfferedSnapshot,
    targets: readonly TargetRow[],
    causationId: string,
  ): Promise<void> {
    if (targets.length === 0) return;
    const { policyId, accountId } = rule;
    const metadata = { accountId, policyId, causationId };
    const destinationRegions = targets.map((t) => t.region);
    let results: DestinationResult[];
    try {
      const decision = await decideCopies(
        this.tx,
        this.quota,
        this.regions,
        {
          accountId,
          sourceSnapshotId: snapshot.snapshotId,
          destinationRegions,
          policyId,
          deadline: new Date(
            Date.parse(this.now) + rule.definition.rpoMinutes * 60_000,
          ).toISOString(),
          now: this.now,
        },
        metadata,
      );
      results = decision.results;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Refused as a whole (not in the beta, a system disk, no longer NORMAL): every destination.
      results = destinationRegions.map((destinationRegion) => ({
        destinationRegion,
        code: error.code,
        message: error.message,
      }));
    }
    const refusals: PolicyCopyRefused[] = [];
    for (const result of results) {
      const target = targets.find((t) => t.region === result.destinationRegion)!;
      if (result.code === 'Success') {
        this.put({
          ...target,
          plan: policyCopyStarted(target.plan, snapshot, result.replicationId!, this.now),
        });
        continue;
      }
      this.put({ ...target, plan: policyCopyRefused(target.plan, snapshot) });
      refusals.push({
        type: 'PolicyCopyRefused',
        data: {
          policyId,
          accountId,
          snapshotId: snapshot.snapshotId,
          diskId: snapshot.diskId,
          sourceRegion: rule.sourceRegion,
          destinationRegion: result.destinationRegion,
          code: result.code,
          message: result.message,
          refusedAt: this.now,
        },
      });
    }
    this.tx.append(streamIds.policy(policyId), 'any', refusals, { metadata });
  }

  /** The newest NORMAL copy at a point changed (a copy arrived or went): every target there. */
  async refresh(point: PointKey): Promise<void> {
    const targets = await this.targetsAt(point);
    if (targets.length === 0) return;
    const newest = (await policyEngineRepository.newestCopies(this.tx.db, [point])).get(
      pointKey(point),
    );
    for (const target of targets) {
      const rule = await this.rule(target.policyId);
      if (!rule) continue;
      const recoversTo = newest?.recoversTo ?? null;
      const moved = {
        ...target,
        recoverySnapshotId: newest?.snapshotId ?? null,
        recoversTo,
        breachesAt: deadlineOf(recoversTo, rule.definition),
      };
      this.put(moved);
      await this.judge(moved, rule);
    }
  }

  /**
   * Appends `RecoveryPointObjectiveBreached` / `...Restored` where the target's age crossed its
   * objective, decided against the recovery point's own stream: each crossing once.
   */
  async judge(target: TargetRow, rule: PolicyRule): Promise<void> {
    if (
      !rule.definition.enabled ||
      target.recoversTo === null ||
      target.recoverySnapshotId === null
    )
      return;
    const due = target.breachesAt !== null && target.breachesAt <= this.now;
    if (due === target.breached) return;
    const { policyId, accountId, diskId, region, sourceRegion } = target;
    const stream = await this.tx.recoveryPoint(policyId, diskId, region);
    const events = judgeRecoveryPoint(
      stream.state,
      {
        policyId,
        accountId,
        diskId,
        region,
        sourceRegion,
        snapshotId: target.recoverySnapshotId,
        recoversTo: target.recoversTo,
        rpoMinutes: rule.definition.rpoMinutes,
      },
      this.now,
    );
    this.tx.append(streamIds.recoveryPoint(policyId, diskId, region), stream.version, events, {
      metadata: { accountId, policyId },
    });
    const breached =
      events.length > 0
        ? events[0]!.type === 'RecoveryPointObjectiveBreached'
        : stream.state.breached;
    this.put({ ...target, breached });
  }

  /** Writes the targets this transaction changed. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const changed = [...this.dirty].map((key) => this.targets.get(key)!);
    this.dirty.clear();
    await policyEngineRepository.putTargets(this.tx.db, changed);
  }
}
