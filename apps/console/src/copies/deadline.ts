import { assertDeadline } from '@snapferry/domain';

export interface DeadlineChoice {
  /** The deadline to send (ISO, UTC), when one is given and valid. */
  deadline?: string;
  /** Why the given one cannot be sent. */
  problem?: string;
}

/**
 * The dialog's optional deadline: a `datetime-local` value (the browser's local time, no zone)
 * judged by the same rule as the API's (`assertDeadline`: in the future, at most a year ahead).
 */
export function deadlineChoice(local: string, now: Date): DeadlineChoice {
  if (local.trim() === '') return {};
  const at = new Date(local);
  if (Number.isNaN(at.getTime())) return { problem: 'Not a date and time.' };
  try {
    return { deadline: assertDeadline(at.toISOString(), now.toISOString()) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { problem: message.charAt(0).toUpperCase() + message.slice(1) + '.' };
  }
}
