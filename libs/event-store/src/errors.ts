import type { ExpectedVersion } from './types';

/** The stream is not at the version the writer decided on: re-read and decide again. */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream "${streamId}" is at version ${actual}, expected ${String(expected)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** An event with this id is already stored: the message was handled before. */
export class DuplicateEventError extends Error {
  constructor(readonly eventId: string | undefined) {
    super(`Event ${eventId ?? '(unknown id)'} is already stored`);
    this.name = 'DuplicateEventError';
  }
}
