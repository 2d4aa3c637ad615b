import type { RegionCatalog } from '../regions/region-catalog';
import { refuse } from '../shared/event';
import { parsePolicyDefinition, PolicyInvalidError } from './parse-policy';
import type { PolicyDefinition } from './policy-definition';
import type { PolicyChanged, PolicyCreated, PolicyDeleted, PolicyEvent } from './policy-events';

export interface Policy extends PolicyDefinition {
  policyId: string;
  accountId: string;
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
}

export type PolicyState = Policy | null;

export const initialPolicyState = (): PolicyState => null;

/** The definition alone, as a user would write it back. */
export const definitionOf = ({
  name,
  sourceRegion,
  selector,
  destinations,
  sourceRetain,
  minIntervalMinutes,
  rpoMinutes,
  enabled,
}: PolicyDefinition): PolicyDefinition => ({
  name,
  sourceRegion,
  selector,
  destinations,
  ...(sourceRetain ? { sourceRetain } : {}),
  minIntervalMinutes,
  rpoMinutes,
  enabled,
});

export function evolvePolicy(state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'PolicyCreated': {
      const { policyId, accountId, createdAt } = event.data;
      return {
        ...definitionOf(event.data),
        policyId,
        accountId,
        createdAt,
        updatedAt: createdAt,
        deleted: false,
      };
    }
    case 'PolicyChanged':
      return state && { ...state, ...definitionOf(event.data), updatedAt: event.data.changedAt };
    case 'PolicyDeleted':
      return state && { ...state, deleted: true, updatedAt: event.data.deletedAt };
    case 'PolicyCopyRefused':
    case 'RecoveryPointObjectiveBreached':
    case 'RecoveryPointObjectiveRestored':
      return state; // refusals and recovery points do not change the definition
  }
}

/** A policy this account may see: another account's, or a deleted one, is "not found". */
export function existingPolicy(state: PolicyState, accountId: string, policyId: string): Policy {
  if (!state || state.deleted || state.accountId !== accountId)
    return refuse('ResourceNotFound.Policy', `policy ${policyId} does not exist`);
  return state;
}

export interface PolicyContext {
  regions: RegionCatalog;
  betaEnabled: boolean;
}

const requireBeta = (betaEnabled: boolean): void => {
  if (!betaEnabled)
    refuse(
      'UnauthorizedOperation.NotInBeta',
      'cross-region replication is not enabled for this account; ask an operator to enable it',
    );
};

export function createPolicy(
  command: { policyId: string; accountId: string; input: unknown; now: string },
  context: PolicyContext,
): PolicyCreated {
  requireBeta(context.betaEnabled);
  const definition = parsePolicyDefinition(command.input, context.regions);
  const { policyId, accountId, now } = command;
  return { type: 'PolicyCreated', data: { policyId, accountId, ...definition, createdAt: now } };
}

/** A PATCH: the fields given replace the policy's, and the result is judged as a whole. */
export function changePolicy(
  state: PolicyState,
  command: { policyId: string; accountId: string; patch: unknown; now: string },
  context: PolicyContext,
): PolicyChanged[] {
  const policy = existingPolicy(state, command.accountId, command.policyId);
  if (typeof command.patch !== 'object' || command.patch === null || Array.isArray(command.patch))
    throw new PolicyInvalidError([
      { field: '$', code: 'InvalidParameterValue', message: 'must be an object' },
    ]);
  const current = definitionOf(policy);
  const given = Object.entries(command.patch).filter(([, value]) => value !== undefined);
  const definition = parsePolicyDefinition(
    { ...current, ...Object.fromEntries(given) },
    context.regions,
  );
  if (definition.enabled && !current.enabled) requireBeta(context.betaEnabled);
  if (JSON.stringify(definition) === JSON.stringify(current)) return [];
  const { policyId, accountId, now } = command;
  return [{ type: 'PolicyChanged', data: { policyId, accountId, ...definition, changedAt: now } }];
}

export function deletePolicy(
  state: PolicyState,
  command: { policyId: string; accountId: string; now: string },
): PolicyDeleted {
  const policy = existingPolicy(state, command.accountId, command.policyId);
  return {
    type: 'PolicyDeleted',
    data: {
      policyId: policy.policyId,
      accountId: policy.accountId,
      sourceRegion: policy.sourceRegion,
      deletedAt: command.now,
    },
  };
}
