import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { PostgresEventStore } from '@snapferry/event-store';
import { LOGGER } from '../tokens';
import { uploadLeasesRepository as leases } from './upload-leases.repository';

export interface UploadLease {
  /** Aborts when the lease could not be renewed in time (another upload may take over). */
  lost: AbortSignal;
  release(): Promise<void>;
}

const TTL_MS = 30_000;

/**
 * One upload per snapshot at a time, across catalog instances: a row in `upload_leases` with
 * an expiry, renewed while the upload runs. Unlike a session advisory lock it holds no
 * database connection, so 200 concurrent uploads cost three short statements each, and a
 * crashed catalog's lease simply expires.
 */
@Injectable()
export class UploadLeases {
  constructor(
    private readonly db: PostgresEventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The lease, or undefined while another upload of the snapshot holds one. */
  async acquire(snapshotId: string, ttlMs = TTL_MS): Promise<UploadLease | undefined> {
    const holder = randomUUID();
    if (!(await leases.take(this.db, snapshotId, holder, ttlMs))) return undefined;

    const lost = new AbortController();
    let renewedAt = Date.now();
    const renew = async () => {
      try {
        if (!(await leases.renew(this.db, snapshotId, holder, ttlMs)))
          lost.abort(new Error(`upload lease of ${snapshotId} was taken over`));
        else renewedAt = Date.now();
      } catch (error) {
        this.logger.warn({ err: error, snapshotId }, 'could not renew an upload lease; retrying');
        // Past the expiry another catalog may start the same upload: stop this one first.
        if (Date.now() - renewedAt > ttlMs * 0.8)
          lost.abort(new Error(`upload lease of ${snapshotId} could not be renewed`));
      }
    };
    const timer = setInterval(() => void renew(), ttlMs / 3);
    timer.unref();
    return {
      lost: lost.signal,
      release: async () => {
        clearInterval(timer);
        await this.release(snapshotId, holder, renewedAt + ttlMs);
      },
    };
  }

  /**
   * Never throws: the upload's own answer matters more (a 503 when the database went away,
   * say). While the database does not answer, it is asked again each second until the
   * lease would have expired anyway, so a retry need not wait for the expiry.
   */
  private async release(
    snapshotId: string,
    holder: string,
    expiresAt: number,
    retry = false,
  ): Promise<void> {
    try {
      await leases.release(this.db, snapshotId, holder);
    } catch (error) {
      if (!retry)
        this.logger.warn(
          { err: error, snapshotId },
          'could not release an upload lease; retrying until it expires',
        );
      if (Date.now() + 1_000 >= expiresAt) return;
      setTimeout(() => void this.release(snapshotId, holder, expiresAt, true), 1_000).unref();
    }
  }
}
