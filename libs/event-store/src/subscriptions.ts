import { compareCheckpoints, initialCheckpoint, type Checkpoint } from './checkpoint';
import type { EventStoreTransaction, PostgresEventStore, SqlExecutor } from './event-store';
import type { AnyEvent, EventFilter, RecordedEvent } from './types';

type CheckpointRow = { transaction_id: string; global_position: string; updated_at: Date };

const toCheckpoint = (row: CheckpointRow): Checkpoint => ({
  transactionId: BigInt(row.transaction_id),
  position: BigInt(row.global_position),
});

export type SubscriptionHandler<E extends AnyEvent> = (
  events: RecordedEvent<E>[],
  tx: EventStoreTransaction,
) => Promise<void>;

export type SubscriptionBatchOptions<E extends AnyEvent> = {
  name: string;
  batchSize?: number;
  /** Only these events reach the handler; the checkpoint still moves past the others. */
  filter?: Pick<EventFilter, 'types' | 'streamIdPrefix'>;
  handle: SubscriptionHandler<E>;
  /**
   * False for a read model rebuilt from the log: the batch commits without waiting for the
   * WAL flush. A crash may then lose the last batches, but each with its checkpoint, so
   * they are projected again: still exactly once, and the log itself stays durable.
   */
  synchronousCommit?: boolean;
};

export type SubscriptionBatchOutcome =
  | { outcome: 'handled'; count: number; checkpoint: Checkpoint }
  | { outcome: 'idle'; checkpoint: Checkpoint }
  /** Another instance holds the subscription right now. */
  | { outcome: 'busy' };

/**
 * A subscription is held with a transaction-level advisory lock on (this class, the hash of
 * its name), not a row lock: a row lock gives the transaction an xid at once, and every
 * reader of the log waits behind an open xid (its visibility horizon). So a batch that finds
 * nothing, or a pass that only reads, holds up no one; a batch takes an xid only when its
 * handler writes. (Leadership's session locks use the one-key form: another key space.)
 */
const subscriptionLockClass = 0x5346; // "SF"

/** The subscription rows each store is known to hold. */
const subscriptionRows = new WeakMap<PostgresEventStore, Set<string>>();

/**
 * One batch, one transaction: take the subscription's lock (skip if another instance has
 * it), read after its checkpoint, let the handler write its read model, move the
 * checkpoint, commit. The read model and the checkpoint change together: exactly once.
 */
export async function processSubscriptionBatch<E extends AnyEvent = AnyEvent>(
  store: PostgresEventStore,
  {
    name,
    batchSize = 100,
    filter = {},
    handle,
    synchronousCommit = true,
  }: SubscriptionBatchOptions<E>,
): Promise<SubscriptionBatchOutcome> {
  // Created outside the batch: a row inserted by an uncommitted batch would block, not skip, a
  // competitor. Once per store and name: a round trip saved on every batch.
  const known = subscriptionRows.get(store) ?? new Set<string>();
  subscriptionRows.set(store, known);
  if (!known.has(name)) {
    await store.execute(
      `INSERT INTO subscriptions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
    known.add(name);
  }
  return store.transaction(async (tx): Promise<SubscriptionBatchOutcome> => {
    // The lock first, the checkpoint in a statement of its own: its snapshot, taken after the
    // lock was granted, sees the commit of the batch that held it (one statement would read
    // with a snapshot from before the wait, and could handle that batch's events again).
    const [lock] = await tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock($2, hashtext($1)) AS locked,
         CASE WHEN $3 THEN NULL ELSE set_config('synchronous_commit', 'off', true) END AS commit_mode`,
      [name, subscriptionLockClass, synchronousCommit],
    );
    const [row] = lock?.locked
      ? await tx.query<CheckpointRow>(
          `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position, updated_at
           FROM subscriptions WHERE name = $1`,
          [name],
        )
      : [];
    if (!row) {
      known.delete(name); // held by another instance, or gone: make sure it exists next time
      return { outcome: 'busy' };
    }
    const after = toCheckpoint(row);
    const { events, checkpoint } = await tx.readAll<E>({ ...filter, after, limit: batchSize });
    if (events.length > 0) await handle(events, tx);
    if (compareCheckpoints(checkpoint, after) > 0) await storeCheckpoint(tx, name, checkpoint);
    return events.length > 0
      ? { outcome: 'handled', count: events.length, checkpoint }
      : { outcome: 'idle', checkpoint };
  });
}

async function storeCheckpoint(
  sql: SqlExecutor,
  name: string,
  checkpoint: Checkpoint,
): Promise<void> {
  await sql.execute(
    `UPDATE subscriptions SET transaction_id = $2::text::xid8, global_position = $3, updated_at = now() WHERE name = $1`,
    [name, checkpoint.transactionId.toString(), checkpoint.position.toString()],
  );
}

/**
 * Holds a subscription for the rest of `tx`: a running batch finishes first, and no batch
 * starts until `tx` ends (e.g. while its read model is cleared for a rebuild). Takes no xid.
 */
export async function lockSubscription(tx: SqlExecutor, name: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock($2, hashtext($1))`, [name, subscriptionLockClass]);
}

/** Moves a subscription back (to the start unless told) so its read model can be rebuilt. Waits for a running batch. */
export async function resetSubscription(
  sql: SqlExecutor,
  name: string,
  to: Checkpoint = initialCheckpoint,
): Promise<void> {
  await sql.execute(
    `INSERT INTO subscriptions (name, transaction_id, global_position) VALUES ($1, $2::text::xid8, $3)
     ON CONFLICT (name) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
    [name, to.transactionId.toString(), to.position.toString()],
  );
}

export type SubscriptionStatus = {
  name: string;
  checkpoint: Checkpoint;
  updatedAt: Date;
  /** Events stored after the checkpoint (some may still be in flight). */
  lag: number;
};

export async function readSubscriptionStatus(
  sql: SqlExecutor,
  name: string,
): Promise<SubscriptionStatus | undefined> {
  const [row] = await sql.query<CheckpointRow & { lag: string }>(
    `SELECT s.transaction_id::text AS transaction_id, s.global_position::text AS global_position, s.updated_at,
       (SELECT count(*) FROM events e WHERE (e.transaction_id, e.global_position) > (s.transaction_id, s.global_position))::text AS lag
     FROM subscriptions s WHERE s.name = $1`,
    [name],
  );
  return (
    row && { name, checkpoint: toCheckpoint(row), updatedAt: row.updated_at, lag: Number(row.lag) }
  );
}

/**
 * Named checkpoints kept outside any batch transaction, for readers whose effect is not
 * in PostgreSQL (the outbox relay stores its checkpoint only after the broker confirms).
 * It never moves a checkpoint backwards; use `resetSubscription` for that.
 */
export class CheckpointsRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async load(name: string): Promise<Checkpoint> {
    const [row] = await this.sql.query<CheckpointRow>(
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position, updated_at
       FROM subscriptions WHERE name = $1`,
      [name],
    );
    return row ? toCheckpoint(row) : initialCheckpoint;
  }

  /**
   * `synchronousCommit: false` (outside a transaction) does not wait for the WAL flush: for a
   * reader that repeats its effect from an older checkpoint anyway (at least once).
   */
  async store(
    name: string,
    checkpoint: Checkpoint,
    { synchronousCommit = true }: { synchronousCommit?: boolean } = {},
  ): Promise<void> {
    await this.sql.execute(
      `INSERT INTO subscriptions (name, transaction_id, global_position)
       SELECT $1, $2::text::xid8, $3
       FROM (SELECT CASE WHEN $4 THEN NULL ELSE set_config('synchronous_commit', 'off', true) END) AS commit_mode
       ON CONFLICT (name) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
         WHERE (subscriptions.transaction_id, subscriptions.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`,
      [
        name,
        checkpoint.transactionId.toString(),
        checkpoint.position.toString(),
        synchronousCommit,
      ],
    );
  }
}
