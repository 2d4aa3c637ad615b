import type { PolicyDefinition } from '../policies/policy-definition';
import type { PolicyEvent } from '../policies/policy-events';
import { definitionOf } from '../policies/policy';

/** A destination that refused one of the policy's copies, as the policy shows it. */
export interface PolicyFailure {
  snapshotId: string;
  diskId: string;
  destinationRegion: string;
  code: string;
  message: string;
  refusedAt: string;
}

/** A policy as `GET /v1/policies` shows it: its definition and its latest failures. */
export interface PolicyView extends PolicyDefinition {
  policyId: string;
  accountId: string;
  createdAt: string;
  updatedAt: string;
  /** The latest refusals, newest first (`maxPolicyFailures` at most; the event log holds all). */
  failures: PolicyFailure[];
}

export const maxPolicyFailures = 20;

/** The events the policy view follows (the recovery points have a read model of their own). */
export const policyViewEventTypes = [
  'PolicyCreated',
  'PolicyChanged',
  'PolicyDeleted',
  'PolicyCopyRefused',
] as const satisfies readonly PolicyEvent['type'][];

export type PolicyViewEvent = Extract<PolicyEvent, { type: (typeof policyViewEventTypes)[number] }>;

export function evolvePolicyView(
  view: PolicyView | null,
  event: PolicyViewEvent,
): PolicyView | null {
  switch (event.type) {
    case 'PolicyCreated': {
      const { policyId, accountId, createdAt } = event.data;
      return {
        ...definitionOf(event.data),
        policyId,
        accountId,
        createdAt,
        updatedAt: createdAt,
        failures: [],
      };
    }
    case 'PolicyChanged':
      return (
        view && {
          ...view,
          ...withoutRetain(view),
          ...definitionOf(event.data),
          updatedAt: event.data.changedAt,
        }
      );
    case 'PolicyDeleted':
      return null;
    case 'PolicyCopyRefused': {
      if (!view) return view;
      const { snapshotId, diskId, destinationRegion, code, message, refusedAt } = event.data;
      const failure = { snapshotId, diskId, destinationRegion, code, message, refusedAt };
      return { ...view, failures: [failure, ...view.failures].slice(0, maxPolicyFailures) };
    }
  }
}

/** A change may drop the source retention: the view must not keep the old one. */
const withoutRetain = ({
  sourceRetain: _dropped,
  ...rest
}: PolicyView): Omit<PolicyView, 'sourceRetain'> => rest;
