import { Injectable } from '@nestjs/common';
import { definitionOf, recoveryPointAgeSeconds, recoveryPointState } from '@snapferry/domain';
import type { PolicyPreviewResponse, PolicyStatusResponse } from '@snapferry/contracts';
import { PostgresEventStore } from '@snapferry/event-store';
import type { Caller } from '../http/api-keys';
import { planCopies, planDeletions } from './engine/policy-plan';
import { policyEngineRepository, type PolicyRule } from './engine/policy-engine.repository';
import { PolicyQueries } from './policy-queries';

/** `GET /v1/policies/{id}/preview` and `/status`: read-only, from the engine's tables and the views. */
@Injectable()
export class PolicyReports {
  constructor(
    private readonly db: PostgresEventStore,
    private readonly queries: PolicyQueries,
  ) {}

  /** The policy as the API knows it (404 for another account's), as the engine would run it. */
  private async rule(caller: Caller, policyId: string): Promise<PolicyRule> {
    const view = await this.queries.view(caller, policyId);
    return {
      policyId,
      accountId: caller.accountId,
      sourceRegion: view.sourceRegion,
      definition: definitionOf(view),
    };
  }

  /** What a pass of the policy would copy and delete now, planned as the pass plans it. */
  async preview(caller: Caller, policyId: string): Promise<PolicyPreviewResponse> {
    const rule = await this.rule(caller, policyId);
    const targets = await policyEngineRepository.targetsOf(this.db, policyId);
    const now = new Date().toISOString();
    const copies = await planCopies(this.db, rule, targets, now);
    const deletions = await planDeletions(this.db, rule, targets, now);
    return {
      copies,
      deletions: deletions.map(({ snapshotId, region, reason }) => ({
        snapshotId,
        region,
        reason,
      })),
    };
  }

  /** Each selected disk in each destination: its newest NORMAL copy and how old the data is. */
  async status(caller: Caller, policyId: string): Promise<PolicyStatusResponse> {
    const rule = await this.rule(caller, policyId);
    const targets = await policyEngineRepository.targetsOf(this.db, policyId);
    const now = new Date().toISOString();
    const { rpoMinutes } = rule.definition;
    return {
      policyId,
      rpoMinutes,
      evaluatedAt: now,
      recoveryPoints: targets.map((t) => ({
        diskId: t.diskId,
        region: t.region,
        snapshotId: t.recoverySnapshotId,
        recoversTo: t.recoversTo,
        ageSeconds: t.recoversTo === null ? null : recoveryPointAgeSeconds(t.recoversTo, now),
        state: recoveryPointState(t.recoversTo ?? undefined, rpoMinutes, now),
      })),
    };
  }
}
