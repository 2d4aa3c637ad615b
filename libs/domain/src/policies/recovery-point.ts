import type { RecoveryPointEvent, RecoveryPointRef } from './policy-events';

export const recoveryPointStates = ['OK', 'AT_RISK', 'BREACHED', 'NONE'] as const;
export type RecoveryPointState = (typeof recoveryPointStates)[number];

/** From this share of the objective on, a recovery point is AT_RISK: the next copy is due. */
export const atRiskShare = 0.8;

export const recoveryPointAgeSeconds = (recoversTo: string, now: string): number =>
  Math.max(0, Math.floor((Date.parse(now) - Date.parse(recoversTo)) / 1000));

/** When the recovery point's age reaches the objective. */
export const breachesAt = (recoversTo: string, rpoMinutes: number): string =>
  new Date(Date.parse(recoversTo) + rpoMinutes * 60_000).toISOString();

/** OK, AT_RISK (from 80 % of the objective), BREACHED (the objective reached), NONE (no copy yet). */
export function recoveryPointState(
  recoversTo: string | undefined,
  rpoMinutes: number,
  now: string,
): RecoveryPointState {
  if (recoversTo === undefined) return 'NONE';
  const ageMs = Date.parse(now) - Date.parse(recoversTo);
  const objectiveMs = rpoMinutes * 60_000;
  if (ageMs >= objectiveMs) return 'BREACHED';
  return ageMs >= objectiveMs * atRiskShare ? 'AT_RISK' : 'OK';
}

/** The objective's stream state: is it breached now (as its events say)? */
export interface RecoveryPointObjective {
  breached: boolean;
}

export const initialRecoveryPointObjective = (): RecoveryPointObjective => ({ breached: false });

export const evolveRecoveryPointObjective = (
  _state: RecoveryPointObjective,
  event: RecoveryPointEvent,
): RecoveryPointObjective => ({ breached: event.type === 'RecoveryPointObjectiveBreached' });

/**
 * Appends `Breached` when the newest copy's age has reached the objective and it was not
 * breached, `Restored` when it is below again and it was: each crossing once, whoever asks.
 */
export function judgeRecoveryPoint(
  state: RecoveryPointObjective,
  point: Omit<RecoveryPointRef, 'ageSeconds'>,
  now: string,
): RecoveryPointEvent[] {
  const ageSeconds = recoveryPointAgeSeconds(point.recoversTo, now);
  const breached = recoveryPointState(point.recoversTo, point.rpoMinutes, now) === 'BREACHED';
  if (breached && !state.breached)
    return [
      { type: 'RecoveryPointObjectiveBreached', data: { ...point, ageSeconds, breachedAt: now } },
    ];
  if (!breached && state.breached)
    return [
      { type: 'RecoveryPointObjectiveRestored', data: { ...point, ageSeconds, restoredAt: now } },
    ];
  return [];
}
