import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OccasionalTask } from '@snapferry/platform';
import { CatalogStore } from '../store/catalog-store';
import { LOGGER } from '../tokens';
import type { SignatureUse } from './signature-reuse';
import { signatureWindowSeconds } from './tc3-signature';

/** How often a catalog clears the expired rows (when it answers cloud calls at all). */
const purgeIntervalMs = 60_000;
/** Enough of an action's name to tell it apart; longer names are no action anyway. */
const maxActionLength = 128;

/**
 * The cloud API's used signatures, in `cloud_signatures` so that every catalog of the database
 * shares them (a replay sent to another instance behind the balancer is seen too). Each use is
 * one statement: the first inserts the row with its action, a later one counts itself and reads
 * the first's action back, atomically even when both arrive at once. The expired rows go now and
 * then, in the background.
 */
@Injectable()
export class CloudSignatures implements BeforeApplicationShutdown {
  private readonly purge: OccasionalTask;

  constructor(
    private readonly store: CatalogStore,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.purge = new OccasionalTask(
      purgeIntervalMs,
      // One more window of margin, so that catalogs whose clocks differ still agree.
      () =>
        this.store.query(`DELETE FROM cloud_signatures WHERE expires_at < $1`, [
          new Date(Date.now() - signatureWindowSeconds * 1000).toISOString(),
        ]),
      (err) => logger.warn({ err }, 'could not purge expired cloud signatures; retrying later'),
    );
  }

  /** Records a use of `signature` (hex), signed at `timestamp` (Unix seconds), for `action`. */
  async use(signature: string, action: string, timestamp: number): Promise<SignatureUse> {
    this.purge.poke();
    const [row] = await this.store.query<{ action: string; uses: number }>(
      `INSERT INTO cloud_signatures (signature, action, expires_at) VALUES (decode($1, 'hex'), $2, $3)
       ON CONFLICT (signature) DO UPDATE SET uses = cloud_signatures.uses + 1
       RETURNING action, uses`,
      [
        signature,
        action.slice(0, maxActionLength),
        new Date((timestamp + signatureWindowSeconds) * 1000).toISOString(),
      ],
    );
    return { firstAction: row!.action, uses: row!.uses };
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.purge.settled();
  }
}
