import { setTimeout as sleep } from 'node:timers/promises';
import { CatchUpSignal } from './catch-up-signal';
import type { Checkpoint } from './checkpoint';
import type { PostgresEventStore } from './event-store';
import { tryAcquireLeadership } from './leadership';
import type { EventNotifications } from './notifications';
import {
  CheckpointsRepository,
  processSubscriptionBatch,
  type SubscriptionBatchOutcome,
  type SubscriptionHandler,
} from './subscriptions';
import type { AnyEvent, EventFilter, RecordedEvent } from './types';

/** What went wrong, for the runner's `onError`; the runner retries after `retryInMs` where it says so. */
export type SubscriptionFailure =
  | { during: 'batch'; failures: number; retryInMs: number; checkpoint: Checkpoint | undefined }
  | { during: 'acquiring-leadership' | 'leading'; retryInMs: number }
  | { during: 'releasing-leadership' };

/** Where the checkpoint lives decides what a handler gets and what "exactly once" means. */
type CheckpointMode<E extends AnyEvent> =
  | {
      /**
       * The default: each batch is one transaction (`processSubscriptionBatch`); the handler
       * writes its read model through `tx` and it commits with the checkpoint (exactly once).
       * Competing instances take turns (the subscription's row is locked per batch).
       */
      checkpoint?: 'with-the-batch';
      handle: SubscriptionHandler<E>;
    }
  | {
      /**
       * The effect is outside PostgreSQL (the broker's confirms, say): the checkpoint is stored
       * after the handler resolves (at least once; a retry re-handles from the stored one).
       * Nothing stops two instances: use `leadership`.
       */
      checkpoint: 'after-the-effect';
      handle: (events: RecordedEvent<E>[]) => Promise<void>;
    };

/** When a subscription looks at the log again (every field has a default). */
export interface SubscriptionPacing {
  /** How long to wait when there is nothing to do (500 ms unless told); a function is asked each time. */
  pollIntervalMs?: number | (() => number);
  /** How long to wait while another instance holds the subscription (`pollIntervalMs` unless told). */
  busyPollIntervalMs?: number;
  /**
   * With notifications: when an append was announced beyond what the last batch reached (it is
   * committed but not yet below the visibility horizon), look again after 2, 4, … up to 100 ms
   * instead of waiting for the next append. On unless told; a filtered subscription, which never
   * sees most positions, turns it off.
   */
  lookAgainWhileBehind?: boolean;
  /**
   * The least time between two batches that find nothing to do: appends wake the runner at most
   * this often (0 unless told). For followers whose latency does not matter (the data reaper),
   * so that a busy log does not cost them a transaction per append.
   */
  minIntervalMs?: number;
  /** The pause before retrying after `failures` failed batches in a row (`pollIntervalMs` unless told). */
  retryDelayMs?: (failures: number) => number;
}

export type SubscriptionRunnerOptions<E extends AnyEvent> = CheckpointMode<E> & {
  name: string;
  /** Events per batch (100 unless told); a full batch means more is waiting: the runner goes again at once. */
  batchSize?: number;
  /** Only these events reach the handler; the checkpoint still moves past the others. */
  filter?: Pick<EventFilter, 'types' | 'streamIdPrefix'>;
  /**
   * Wakes the runner as soon as events are appended, instead of waiting out the poll, and
   * tells it when appends it cannot see yet were announced (see `pacing.lookAgainWhileBehind`).
   */
  notifications?: EventNotifications;
  /** When to look again: after nothing, while another instance holds it, after a failure. */
  pacing?: SubscriptionPacing;
  /**
   * False: checkpoints (and a batch's read-model writes) commit without waiting for the WAL
   * flush, for followers that may repeat work after a database crash (a rebuildable read
   * model, an at-least-once relay). True unless told.
   */
  synchronousCommit?: boolean;
  /** Without it a failure stops the subscription (the promise rejects); with it the runner reports and retries. */
  onError?: (error: unknown, failure: SubscriptionFailure) => void;
  /** Runs after every batch (handled, idle or busy) with the runner's signal; a throw counts as a failed batch. */
  afterBatch?: (outcome: SubscriptionBatchOutcome, signal: AbortSignal) => Promise<void> | void;
  /**
   * Run only while this instance holds the subscription's advisory lock (`tryAcquireLeadership`
   * with the subscription's name): one runner across processes, replaced when it stops or its
   * lock connection drops (then it steps down at once).
   */
  leadership?: {
    databaseUrl: string;
    /** How often a follower tries to take the lead (1 s unless told). */
    retryMs?: number;
    onChange?: (leading: boolean) => void;
  };
};

export type RunSubscriptionOptions<E extends AnyEvent> = SubscriptionRunnerOptions<E> & {
  signal: AbortSignal;
};

/**
 * The one loop every follower of the log runs (the projector, the data reaper, the outbox
 * relay): batches until `signal` aborts, waking on appends, backing off on failures, and,
 * if asked, only while it leads. Competing instances share the work safely.
 */
export async function runSubscription<E extends AnyEvent = AnyEvent>(
  store: PostgresEventStore,
  options: RunSubscriptionOptions<E>,
): Promise<void> {
  const { signal, leadership, onError } = options;
  if (!leadership) return follow(store, options, signal);
  const retryMs = leadership.retryMs ?? 1_000;
  const report = (error: unknown, failure: SubscriptionFailure) => {
    if (!onError) throw error;
    onError(error, failure);
  };
  while (!signal.aborted) {
    const lead = await tryAcquireLeadership(leadership.databaseUrl, options.name).catch(
      (error: unknown) => report(error, { during: 'acquiring-leadership', retryInMs: retryMs }),
    );
    if (!lead) {
      await pause(retryMs, signal);
      continue;
    }
    leadership.onChange?.(true);
    try {
      await follow(store, options, AbortSignal.any([signal, lead.lost]));
    } catch (error) {
      report(error, { during: 'leading', retryInMs: retryMs });
      await pause(retryMs, signal);
    } finally {
      leadership.onChange?.(false);
      // PostgreSQL frees the lock with the connection anyway: a failure here is only reported.
      await lead
        .release()
        .catch((error: unknown) => onError?.(error, { during: 'releasing-leadership' }));
    }
  }
}

/** Batches from one place in the log; `recover` after a failure re-reads where to go on from. */
interface Batches {
  next(): Promise<SubscriptionBatchOutcome>;
  checkpoint(): Checkpoint | undefined;
  recover(): Promise<void>;
}

/** Runs batches until `signal` aborts (for a leader: until it steps down). */
async function follow<E extends AnyEvent>(
  store: PostgresEventStore,
  options: SubscriptionRunnerOptions<E>,
  signal: AbortSignal,
): Promise<void> {
  const batchSize = options.batchSize ?? 100;
  const pacing = options.pacing ?? {};
  const pollIntervalMs = pacing.pollIntervalMs ?? 500;
  const idleMs = typeof pollIntervalMs === 'function' ? pollIntervalMs : () => pollIntervalMs;
  const busyPollIntervalMs = pacing.busyPollIntervalMs;
  const busyMs = busyPollIntervalMs === undefined ? idleMs : () => busyPollIntervalMs;
  const retryDelayMs = pacing.retryDelayMs ?? idleMs;
  const lookAgain = pacing.lookAgainWhileBehind ?? true;
  /** The highest global position handled: a scheduling hint only (positions commit out of order). */
  let reached = 0n;
  const handled = (events: RecordedEvent<E>[]) => {
    for (const e of events) if (e.globalPosition > reached) reached = e.globalPosition;
  };
  const batches =
    options.checkpoint === 'after-the-effect'
      ? checkpointedAfterEffect(store, options, batchSize, handled)
      : checkpointedWithBatch(store, options, batchSize, handled);
  const wakeups = options.notifications ? new CatchUpSignal(options.notifications) : polling;
  let failures = 0;
  let lookAgainMs = 2;
  try {
    while (!signal.aborted) {
      let result: SubscriptionBatchOutcome;
      try {
        result = await batches.next();
        await options.afterBatch?.(result, signal);
        failures = 0;
      } catch (error) {
        failures++;
        const retryInMs = retryDelayMs(failures);
        if (!options.onError) throw error;
        options.onError(error, {
          during: 'batch',
          failures,
          retryInMs,
          checkpoint: batches.checkpoint(),
        });
        await pause(retryInMs, signal);
        await batches.recover();
        continue;
      }
      if (result.outcome === 'handled' && result.count >= batchSize) continue;
      if (lookAgain && result.outcome !== 'busy' && wakeups.behind(reached)) {
        // Appended but not yet visible (an older transaction is still open): look again soon,
        // and sooner while batches keep finding events (under load the log is always "behind").
        if (result.outcome === 'handled') lookAgainMs = 2;
        await pause(lookAgainMs, signal);
        lookAgainMs = Math.min(lookAgainMs * 2, 100);
        continue;
      }
      lookAgainMs = 2;
      if (pacing.minIntervalMs && result.outcome === 'idle')
        await pause(pacing.minIntervalMs, signal);
      await wakeups.wait(result.outcome === 'busy' ? busyMs() : idleMs(), signal);
    }
  } finally {
    wakeups.close();
  }
}

/** Read model and checkpoint in one transaction per batch. */
function checkpointedWithBatch<E extends AnyEvent>(
  store: PostgresEventStore,
  options: SubscriptionRunnerOptions<E> & { checkpoint?: 'with-the-batch' },
  batchSize: number,
  handled: (events: RecordedEvent<E>[]) => void,
): Batches {
  let last: Checkpoint | undefined;
  const { name, filter, handle } = options;
  return {
    next: async () => {
      const result = await processSubscriptionBatch<E>(store, {
        name,
        batchSize,
        ...(filter ? { filter } : {}),
        synchronousCommit: options.synchronousCommit ?? true,
        handle: async (events, tx) => {
          await handle(events, tx);
          handled(events);
        },
      });
      if (result.outcome !== 'busy') last = result.checkpoint;
      return result;
    },
    checkpoint: () => last,
    recover: async () => undefined, // the stored checkpoint is read in every batch
  };
}

/** The effect first, then the checkpoint (`CheckpointsRepository`, which never moves back). */
function checkpointedAfterEffect<E extends AnyEvent>(
  store: PostgresEventStore,
  options: SubscriptionRunnerOptions<E> & { checkpoint: 'after-the-effect' },
  batchSize: number,
  handled: (events: RecordedEvent<E>[]) => void,
): Batches {
  const checkpoints = new CheckpointsRepository(store);
  const { name, filter, handle } = options;
  let checkpoint: Checkpoint | undefined;
  return {
    next: async () => {
      const after = (checkpoint ??= await checkpoints.load(name));
      const { events, checkpoint: next } = await store.readAll<E>({
        ...filter,
        after,
        limit: batchSize,
      });
      if (events.length > 0) {
        await handle(events);
        handled(events);
        // Stored only after the effect; a restart from an older checkpoint repeats it.
        await checkpoints.store(name, next, {
          synchronousCommit: options.synchronousCommit ?? true,
        });
      }
      checkpoint = next;
      return events.length > 0
        ? { outcome: 'handled', count: events.length, checkpoint: next }
        : { outcome: 'idle', checkpoint: next };
    },
    checkpoint: () => checkpoint,
    recover: async () => {
      checkpoint = await checkpoints.load(name).catch(() => checkpoint);
    },
  };
}

/** Without notifications: wait out the poll, never "behind". */
const polling = {
  behind: () => false,
  wait: async (timeoutMs: number, signal: AbortSignal) => void (await pause(timeoutMs, signal)),
  close: () => undefined,
};

/** Waits `ms`, less if `signal` aborts (a stopping runner must not wait out its pause). */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch((error: unknown) => {
    if (!signal.aborted) throw error;
  });
}

/** A subscription run in the background by its owner: `start()` once, `stop()` waits for the batch in hand. */
export class SubscriptionRunner<E extends AnyEvent = AnyEvent> {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly options: SubscriptionRunnerOptions<E> & {
      onError: NonNullable<SubscriptionRunnerOptions<E>['onError']>;
    },
  ) {}

  start(): void {
    this.running ??= runSubscription(this.store, { ...this.options, signal: this.abort.signal });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }
}
