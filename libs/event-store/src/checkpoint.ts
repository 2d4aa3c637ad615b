/**
 * A place in the global log. Events are ordered by (transactionId, position): positions
 * are handed out before commit, so a position-only cursor can skip a late committer.
 */
export type Checkpoint = { transactionId: bigint; position: bigint };

export const initialCheckpoint: Checkpoint = Object.freeze({ transactionId: 0n, position: 0n });

export class InvalidCheckpointError extends Error {
  constructor(readonly value: string) {
    super(`Invalid checkpoint "${value}"`);
    this.name = 'InvalidCheckpointError';
  }
}

export const serializeCheckpoint = (checkpoint: Checkpoint): string =>
  `${checkpoint.transactionId}-${checkpoint.position}`;

export function parseCheckpoint(value: string): Checkpoint {
  const match = /^(\d{1,20})-(\d{1,19})$/.exec(value);
  if (!match?.[1] || !match[2]) throw new InvalidCheckpointError(value);
  const checkpoint = { transactionId: BigInt(match[1]), position: BigInt(match[2]) };
  // xid8 is unsigned 64-bit, positions are bigint.
  if (checkpoint.transactionId >= 2n ** 64n || checkpoint.position >= 2n ** 63n)
    throw new InvalidCheckpointError(value);
  return checkpoint;
}

export function compareCheckpoints(a: Checkpoint, b: Checkpoint): -1 | 0 | 1 {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}

export const maxCheckpoint = (a: Checkpoint, b: Checkpoint): Checkpoint =>
  compareCheckpoints(a, b) >= 0 ? a : b;
