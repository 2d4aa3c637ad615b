/** The copy's job was flagged for cancellation. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** The copy's claim is not this process's any more: another replicator runs (or may run) it. */
export class ClaimLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimLostError';
  }
}

export interface ClaimHeartbeatPorts {
  /** Extends the claim's lease; `held: false` when another replicator took the claim over. */
  renew(): Promise<{ held: boolean; cancelRequested: boolean }>;
  cancelRequested(): Promise<boolean>;
  /** A renewal or a cancel check failed (database away): the copy goes on and tries again. */
  checkFailed(what: 'renew' | 'cancel check', error: unknown): void;
  /** Stops the copy. */
  abort(reason: Error): void;
}

export interface ClaimHeartbeatOptions {
  /** The claim's lease: renewed every third of it. */
  leaseMs: number;
  /** How often the cancel flag is read (default every second). */
  checkMs?: number;
  now?: () => number;
}

/**
 * Runs beside a copy, on a timer rather than on progress (a copy may go quiet: a slow chunk, a
 * throttle, another region retrying): renews the copy's claim every third of the lease and reads
 * the job's cancel flag on the other ticks, because a cancel may reach another replicator of the
 * region. Aborts the copy with CancelledError when the flag is set, and with ClaimLostError when
 * another replicator took the claim over or when no renewal succeeded for a whole lease (the
 * claim may have expired, and the copy may run elsewhere by now). Returns the function that stops it.
 */
export function startClaimHeartbeat(
  ports: ClaimHeartbeatPorts,
  { leaseMs, checkMs = 1_000, now = () => performance.now() }: ClaimHeartbeatOptions,
): () => void {
  const renewEveryMs = leaseMs / 3;
  const intervalMs = Math.min(checkMs, renewEveryMs);
  let renewedAt = now(); // the claim was just taken
  let busy = false;
  const abort = (reason: Error) => {
    clearInterval(timer);
    ports.abort(reason);
  };
  const renew = async () => {
    const sentAt = now();
    try {
      const { held, cancelRequested } = await ports.renew();
      if (!held) return abort(new ClaimLostError('another replicator took the copy over'));
      renewedAt = sentAt;
      if (cancelRequested) abort(new CancelledError());
    } catch (error) {
      // The database is unreachable: keep trying until the lease runs out (checked each tick).
      ports.checkFailed('renew', error);
    }
  };
  const tick = async () => {
    if (now() - renewedAt >= leaseMs)
      return abort(new ClaimLostError(`the claim could not be renewed for ${leaseMs} ms`));
    if (busy) return;
    busy = true;
    try {
      // Half a tick early rather than a whole tick late.
      if (now() - renewedAt + intervalMs / 2 >= renewEveryMs) await renew();
      else if (
        await ports.cancelRequested().catch((error: unknown) => {
          ports.checkFailed('cancel check', error);
          return false;
        })
      )
        abort(new CancelledError());
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  return () => clearInterval(timer);
}
