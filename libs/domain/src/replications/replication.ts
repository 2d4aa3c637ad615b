import type { ReplicationEvent, ReplicationRequested } from './replication-events';

export const replicationStatuses = [
  'REQUESTED',
  'COPYING',
  'VERIFYING',
  'COMPLETED',
  'FAILED',
  'CANCELLING',
  'CANCELLED',
] as const;
export type ReplicationStatus = (typeof replicationStatuses)[number];

export interface Replication {
  request: ReplicationRequested['data'];
  status: ReplicationStatus;
  /** Highest progress sequence seen: older updates are stale. */
  sequence: number;
  percent: number;
  attempts: number;
  /** ReplicationDeadlineMissed was appended (it is appended once). */
  deadlineMissed: boolean;
}

export type ReplicationState = Replication | null;

/** The states after which nothing changes: of a replication, its view, a replicator's job. */
export const terminalReplicationStates = ['COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TerminalReplicationState = (typeof terminalReplicationStates)[number];

export const isTerminal = (state: string): state is TerminalReplicationState =>
  (terminalReplicationStates as readonly string[]).includes(state);

export function evolveReplication(
  state: ReplicationState,
  event: ReplicationEvent,
): ReplicationState {
  if (event.type === 'ReplicationRequested')
    return {
      request: event.data,
      status: 'REQUESTED',
      sequence: 0,
      percent: 0,
      attempts: 0,
      deadlineMissed: false,
    };
  if (!state) return state;
  switch (event.type) {
    case 'ReplicationStarted':
      return {
        ...state,
        status: state.status === 'CANCELLING' ? state.status : 'COPYING',
        attempts: event.data.attempt,
      };
    case 'ReplicationProgressed':
      return {
        ...state,
        sequence: event.data.sequence,
        percent: Math.max(state.percent, event.data.percent),
        status: state.status === 'REQUESTED' ? 'COPYING' : state.status,
      };
    case 'ReplicationVerifying':
      return {
        ...state,
        status: state.status === 'CANCELLING' ? state.status : 'VERIFYING',
        percent: 100,
      };
    case 'ReplicationCompleted':
      return { ...state, status: 'COMPLETED', percent: 100 };
    case 'ReplicationFailed':
      return { ...state, status: 'FAILED' };
    case 'ReplicationCancelRequested':
      // A cancel that arrives after the end (target deleted meanwhile) must not reopen the copy.
      return isTerminal(state.status) ? state : { ...state, status: 'CANCELLING' };
    case 'ReplicationCancelled':
      return { ...state, status: 'CANCELLED' };
    case 'ReplicationDeadlineMissed':
      return { ...state, deadlineMissed: true };
  }
}
