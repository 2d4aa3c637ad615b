import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OccasionalTask } from '@snapferry/platform';
import { PostgresEventStore } from '@snapferry/event-store';
import { LOGGER } from '../tokens';
import { cloudSignaturesRepository as signatures } from './cloud-signatures.repository';
import type { SignatureUse } from './signature-reuse';
import { signatureWindowSeconds } from './tc3-signature';

/** How often a catalog clears the expired rows (when it answers cloud calls at all). */
const purgeIntervalMs = 60_000;
/** Enough of an action's name to tell it apart; longer names are no action anyway. */
const maxActionLength = 128;

/**
 * The cloud API's used signatures, in the database so that every catalog shares them (a replay
 * sent to another instance behind the balancer is seen too): each use is one statement (see
 * cloudSignaturesRepository.use). The expired rows go now and then, in the background.
 */
@Injectable()
export class CloudSignatures implements BeforeApplicationShutdown {
  private readonly purge: OccasionalTask;

  constructor(
    private readonly db: PostgresEventStore,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.purge = new OccasionalTask(
      purgeIntervalMs,
      // One more window of margin, so that catalogs whose clocks differ still agree.
      () =>
        signatures.deleteExpiredBefore(
          this.db,
          new Date(Date.now() - signatureWindowSeconds * 1000),
        ),
      (err) => logger.warn({ err }, 'could not purge expired cloud signatures; retrying later'),
    );
  }

  /** Records a use of `signature` (hex), signed at `timestamp` (Unix seconds), for `action`. */
  use(signature: string, action: string, timestamp: number): Promise<SignatureUse> {
    this.purge.poke();
    return signatures.use(
      this.db,
      signature,
      action.slice(0, maxActionLength),
      new Date((timestamp + signatureWindowSeconds) * 1000),
    );
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.purge.settled();
  }
}
