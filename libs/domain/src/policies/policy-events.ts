import type { Event } from '../shared/event';
import type { PolicyDefinition } from './policy-definition';

type PolicyRef = { policyId: string; accountId: string };

export type PolicyCreated = Event<
  'PolicyCreated',
  PolicyRef & PolicyDefinition & { createdAt: string }
>;

/** The whole definition after the change (a PATCH is merged before it is decided). */
export type PolicyChanged = Event<
  'PolicyChanged',
  PolicyRef & PolicyDefinition & { changedAt: string }
>;

export type PolicyDeleted = Event<
  'PolicyDeleted',
  PolicyRef & { sourceRegion: string; deletedAt: string }
>;

/** A destination refused a copy the policy asked for: the manual copy's error code and message. */
export type PolicyCopyRefused = Event<
  'PolicyCopyRefused',
  PolicyRef & {
    snapshotId: string;
    diskId: string;
    sourceRegion: string;
    destinationRegion: string;
    code: string;
    message: string;
    refusedAt: string;
  }
>;

/** Where a recovery point stands: a policy's disk in one destination, and its newest NORMAL copy. */
export type RecoveryPointRef = PolicyRef & {
  diskId: string;
  /** The destination region. */
  region: string;
  sourceRegion: string;
  /** The newest NORMAL copy, and the source snapshot's time it recovers to. */
  snapshotId: string;
  recoversTo: string;
  rpoMinutes: number;
  ageSeconds: number;
};

export type RecoveryPointObjectiveBreached = Event<
  'RecoveryPointObjectiveBreached',
  RecoveryPointRef & { breachedAt: string }
>;

export type RecoveryPointObjectiveRestored = Event<
  'RecoveryPointObjectiveRestored',
  RecoveryPointRef & { restoredAt: string }
>;

export type RecoveryPointEvent = RecoveryPointObjectiveBreached | RecoveryPointObjectiveRestored;

export type PolicyEvent =
  PolicyCreated | PolicyChanged | PolicyDeleted | PolicyCopyRefused | RecoveryPointEvent;

export const policyEventTypes: readonly PolicyEvent['type'][] = [
  'PolicyCreated',
  'PolicyChanged',
  'PolicyDeleted',
  'PolicyCopyRefused',
  'RecoveryPointObjectiveBreached',
  'RecoveryPointObjectiveRestored',
];
