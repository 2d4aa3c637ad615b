import type { CatalogEvent } from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';

/** The replication-ending events: their copy's deadline no longer needs a timer. */
const ends = new Set<string>([
  'ReplicationCompleted',
  'ReplicationFailed',
  'ReplicationCancelled',
  'ReplicationDeadlineMissed',
]);

export interface DueDeadline {
  replicationId: string;
  /** The database's clock when the row was taken: the timer decides with this time. */
  now: string;
}

/**
 * The deadline timer's durable rows (`replication_deadlines`), kept in the append transaction:
 * a ReplicationRequested with a deadline adds its row, so no request with a deadline is ever
 * without one, whoever appended it (a manual copy, a policy), on whichever catalog. A copy that
 * ended drops its row, without waiting: a row the timer holds locked stays, and the timer drops
 * it itself (so the progress consumer and the timer never wait for each other).
 */
export const replicationDeadlinesRepository = {
  /** In the append transaction: adds the rows of requests with a deadline, drops those of ended copies. */
  async apply(tx: SqlExecutor, events: CatalogEvent[]): Promise<void> {
    const added: { id: string; deadline: string }[] = [];
    const ended: string[] = [];
    for (const event of events) {
      if (event.type === 'ReplicationRequested' && event.data.deadline)
        added.push({ id: event.data.replicationId, deadline: event.data.deadline });
      else if (ends.has(event.type))
        ended.push((event.data as { replicationId: string }).replicationId);
    }
    if (added.length > 0)
      await tx.execute(
        `INSERT INTO replication_deadlines (replication_id, deadline)
         SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING`,
        [added.map((a) => a.id), added.map((a) => a.deadline)],
      );
    if (ended.length > 0)
      await tx.execute(
        `DELETE FROM replication_deadlines WHERE replication_id IN (
           SELECT replication_id FROM replication_deadlines WHERE replication_id = ANY($1)
           FOR UPDATE SKIP LOCKED)`,
        [ended],
      );
  },

  /**
   * Takes (locks) the rows whose deadline has come, earliest first; rows another catalog holds
   * are skipped (it is deciding them). One clock decides: the database's.
   */
  async takeDue(tx: SqlExecutor, limit: number): Promise<DueDeadline[]> {
    const rows = await tx.query<{ replication_id: string; now: Date }>(
      `SELECT replication_id, clock_timestamp() AS now FROM replication_deadlines
       WHERE deadline <= clock_timestamp() ORDER BY deadline, replication_id LIMIT $1
       FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({ replicationId: r.replication_id, now: r.now.toISOString() }));
  },

  async drop(tx: SqlExecutor, replicationIds: string[]): Promise<void> {
    if (replicationIds.length === 0) return;
    await tx.execute(`DELETE FROM replication_deadlines WHERE replication_id = ANY($1)`, [
      replicationIds,
    ]);
  },

  /** Milliseconds until the earliest deadline (by the database's clock; ≤ 0: due), or null if none. */
  async msUntilNext(db: SqlExecutor): Promise<number | null> {
    const rows = await db.query<{ ms: string | null }>(
      `SELECT (extract(epoch FROM min(deadline) - clock_timestamp()) * 1000)::bigint AS ms
       FROM replication_deadlines`,
    );
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? null : Number(ms);
  },
};
