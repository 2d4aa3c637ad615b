import { setTimeout as sleep } from 'node:timers/promises';
import { QueryFailedError } from 'typeorm';

/** What became of a transaction whose COMMIT got no answer. */
export type CommitOutcome = 'committed' | 'aborted' | 'unknown';

/** What a lost COMMIT's outcome is looked up with (the store, on another connection). */
interface StatusReader {
  query<Row>(text: string, params?: unknown[]): Promise<Row[]>;
}

/**
 * The server itself answered COMMIT with an ERROR (a deferred constraint, a serialization
 * failure): the transaction rolled back. Anything else (the connection closed or reset, a
 * FATAL such as an administrator's terminate, which can come after the commit record) leaves
 * the outcome unknown.
 */
export function commitRefused(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { severity?: unknown } | undefined;
  return driverError?.severity === 'ERROR';
}

/**
 * Asks the database (`pg_xact_status`) whether transaction `transactionId` committed, until it
 * answers committed or aborted or `timeoutMs` passes. "in progress" means the old connection's
 * server process has not yet finished the COMMIT it received, or noticed that its client is
 * gone (it then rolls back); a database that does not answer is asked again, backing off.
 */
export async function settleCommit(
  db: StatusReader,
  transactionId: bigint,
  { timeoutMs }: { timeoutMs: number },
): Promise<CommitOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const status = await db
      .query<{ status: string | null }>(`SELECT pg_xact_status($1::text::xid8) AS status`, [
        transactionId.toString(),
      ])
      .then(
        ([row]) => row?.status,
        () => undefined, // not reachable yet: ask again
      );
    if (status === 'committed' || status === 'aborted') return status;
    // null: too old for the server to remember (not so for one a few seconds old).
    if (status === null) return 'unknown';
    const remaining = deadline - Date.now();
    if (remaining <= 0) return 'unknown';
    await sleep(Math.min(remaining, 1_000, 50 * 2 ** attempt)); // the last look at the deadline
  }
}
