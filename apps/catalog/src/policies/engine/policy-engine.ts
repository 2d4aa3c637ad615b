import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { RegionCatalog } from '@snapferry/domain';
import {
  EventNotifications,
  type EventStoreTransaction,
  PostgresEventStore,
  type RecordedEvent,
  SubscriptionRunner,
} from '@snapferry/event-store';
import { CatalogTransactions } from '../../transactions/catalog-transactions';
import { LOGGER, REGION_CATALOG } from '../../tokens';
import { applyPolicyEvent, type PolicyEngineEvent, policyEngineEventTypes } from './apply-event';
import { PolicyWork } from './policy-work';

/** The engine's subscription: its checkpoint, and the lock its passes and timer take too. */
export const policyEngineSubscription = 'policy-engine';

/**
 * Events per batch. A batch is one transaction, and every reader of the log waits behind an
 * open transaction that appended: small batches keep that wait short.
 */
const policyEngineBatchSize = 200;

/**
 * Follows the log and does what the replication policies say, in the subscription's batch
 * transaction: a selected snapshot that became NORMAL gets its copies requested (or queued),
 * a copy that ended lets the next one start, copies arriving and going move the recovery
 * points. Decisions and checkpoint commit together, so a crash between a snapshot becoming
 * NORMAL and its copies being requested repeats nothing and loses nothing, and any number of
 * catalogs take turns on the batches (the subscription's row is locked per batch).
 */
@Injectable()
export class PolicyEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runner: SubscriptionRunner<PolicyEngineEvent>;

  constructor(
    eventStore: PostgresEventStore,
    notifications: EventNotifications,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.runner = new SubscriptionRunner<PolicyEngineEvent>(eventStore, {
      name: policyEngineSubscription,
      batchSize: policyEngineBatchSize,
      filter: { types: [...policyEngineEventTypes] },
      notifications,
      pacing: {
        lookAgainWhileBehind: false, // filtered: the positions it handles say nothing of the others
        pollIntervalMs: 1_000,
        busyPollIntervalMs: 50, // another catalog (or a pass) holds the engine: look again soon
        retryDelayMs: (failures) => Math.min(1_000, 20 * 2 ** failures),
      },
      handle: (events, tx) => this.apply(events, tx),
      onError: (error, failure) =>
        logger.warn({ err: error, ...failure }, 'policy engine batch failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runner.stop();
  }

  private async apply(
    events: RecordedEvent<PolicyEngineEvent>[],
    etx: EventStoreTransaction,
  ): Promise<void> {
    await CatalogTransactions.within(etx, { causationId: policyEngineSubscription }, async (tx) => {
      const work = new PolicyWork(tx, this.regions, new Date().toISOString());
      for (const event of events) await applyPolicyEvent(work, event);
      await work.flush();
    });
  }
}
