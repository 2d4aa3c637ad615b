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

/**
 * The connection failed while COMMIT was in flight and the database could not be asked in
 * time whether the transaction committed: it may have. Never treat it as a refusal (nothing
 * that the transaction's effects may refer to should be undone).
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(
    /** The transaction's id (xid8), when it appended events; look it up with `commitOutcome`. */
    readonly transactionId: bigint | undefined,
    cause: unknown,
  ) {
    super(
      `the connection to the database failed while COMMIT was in flight, and whether it committed could not be learnt: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'CommitOutcomeUnknownError';
  }
}
