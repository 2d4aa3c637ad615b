import {
  isRegionId,
  type ReplicationRequested,
  type TerminalReplicationState,
  terminalReplicationStates,
} from '@snapferry/domain';
import type { DataSource } from 'typeorm';
import { migrateRegionSchema } from './replicator-migrations';

export type JobState = 'QUEUED' | 'COPYING' | 'VERIFYING' | TerminalReplicationState;
/** The domain's terminal states, as job states (a job in one of them never runs again). */
export const terminalJobStates: readonly JobState[] = terminalReplicationStates;
const terminalSql = terminalReplicationStates.map((state) => `'${state}'`).join(', ');

export interface Job {
  replicationId: string;
  request: ReplicationRequested['data'] | null;
  state: JobState;
  attempts: number;
  progressSequence: number;
  cancelRequested: boolean;
  error: string | null;
  /** The replicator process whose live claim covers the job (its copy runs there), or null. */
  claimedBy: string | null;
}

/**
 * What `claim` found. `claimed`: the job is this replicator's to run (`takenOverFrom`: the
 * replicator whose claim had expired); `ended`: it reached a terminal state; `held`: another
 * replicator's live claim covers it; `full`: the region runs its limit of copies already.
 */
export type Claim =
  | { outcome: 'claimed'; job: Job; takenOverFrom: string | null }
  | { outcome: 'ended'; job: Job }
  | { outcome: 'held'; claimedBy: string }
  | { outcome: 'full' };

export interface ClaimOptions {
  /** This replicator process (its instance id). */
  owner: string;
  /** How long the claim lives unless renewed. */
  leaseMs: number;
  /** Live claims the region may hold at most (REPLICATOR_MAX_CONCURRENT_COPIES); none: no limit. */
  limit?: number;
}

type Rows = <Row>(text: string, params?: unknown[]) => Promise<Row[]>;

interface JobRow {
  replication_id: string;
  request: ReplicationRequested['data'] | null;
  state: JobState;
  attempts: number;
  progress_sequence: number;
  cancel_requested: boolean;
  error: string | null;
  claimed_by: string | null;
  live_claimant: string | null;
}

const toJob = (r: JobRow): Job => ({
  replicationId: r.replication_id,
  request: r.request,
  state: r.state,
  attempts: r.attempts,
  progressSequence: r.progress_sequence,
  cancelRequested: r.cancel_requested,
  error: r.error,
  claimedBy: r.live_claimant,
});

/** A job row's columns, with the claimant only while its claim lives. */
const jobColumns = `*, CASE WHEN claim_expires_at > now() THEN claimed_by END AS live_claimant`;
const leaseSql = (param: string) => `now() + ${param}::integer * interval '1 millisecond'`;

/** `ap-guangzhou` -> `replicator_ap_guangzhou`: one schema per region in the replicators' database. */
export function schemaFor(region: string): string {
  if (!isRegionId(region)) throw new Error(`not a region id: ${JSON.stringify(region)}`);
  return `replicator_${region.replace(/-/g, '_')}`;
}

/**
 * The replicator's durable state for one region, and all the SQL of its schema's tables:
 * `jobs` (with the progress sequence, so numbers keep rising across restarts, and the claim
 * of the replicator running the copy) and `inbox` (the processed message ids). Like every
 * repository of the apps (see the catalog's `database/database.repository.ts`), it sits
 * beside the feature that owns its tables; the replicator has no event store, so its
 * repositories run their statements on the DataSource themselves.
 */
export class JobsRepository {
  readonly schema: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly region: string,
  ) {
    this.schema = schemaFor(region);
  }

  /** Creates or migrates this region's schema (TypeORM migrations, under an advisory lock). */
  async migrate(): Promise<void> {
    await migrateRegionSchema(this.dataSource, this.schema);
  }

  /**
   * A statement's rows, typed at this one boundary. The structured result is the same for every
   * statement (plain `query` answers an UPDATE … RETURNING with `[rows, count]`, not rows).
   */
  private async rows<Row>(text: string, params: unknown[] = []): Promise<Row[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(text, params, true);
      return (result.records ?? []) as Row[];
    } finally {
      await runner.release();
    }
  }

  /** `work` in one (short) transaction: never one that spans a copy. */
  private async inTransaction<T>(work: (rows: Rows) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      try {
        const result = await work(async <Row>(text: string, params: unknown[] = []) => {
          const answer = await runner.query(text, params, true);
          return (answer.records ?? []) as Row[];
        });
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  async seen(messageId: string): Promise<boolean> {
    const rows = await this.rows<{ seen: 1 }>(
      `SELECT 1 AS seen FROM ${this.schema}.inbox WHERE message_id = $1`,
      [messageId],
    );
    return rows.length > 0;
  }

  async get(replicationId: string): Promise<Job | undefined> {
    const rows = await this.rows<JobRow>(
      `SELECT ${jobColumns} FROM ${this.schema}.jobs WHERE replication_id = $1`,
      [replicationId],
    );
    return rows[0] && toJob(rows[0]);
  }

  /**
   * Records the request (once: a redelivered request finds its job) and claims its copy for
   * `owner`, starting an attempt, if it has not ended, no other replicator's live claim covers
   * it, and the region holds fewer than `limit` live claims besides. A region's claims are taken
   * one at a time (an advisory lock for this short transaction), so the count cannot be outrun.
   */
  async claim(
    request: ReplicationRequested['data'],
    { owner, leaseMs, limit }: ClaimOptions,
  ): Promise<Claim> {
    const jobs = `${this.schema}.jobs`;
    return this.inTransaction(async (rows) => {
      // A statement of its own: the next one's snapshot then sees every claim committed before.
      await rows(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`snapferry-claims:${this.schema}`]);
      // One statement for the usual case; `previous` reads the row as it was before it.
      const [claimed] = await rows<JobRow & { previous_claimant: string | null }>(
        `WITH previous AS (SELECT claimed_by FROM ${jobs} WHERE replication_id = $1),
         claimed AS (
           INSERT INTO ${jobs} (replication_id, request, state, attempts, claimed_by, claim_expires_at)
           SELECT $1, $2::jsonb, 'COPYING', 1, $3, ${leaseSql('$4')}
           WHERE $5::integer IS NULL OR $5::integer > (
             SELECT count(*) FROM ${jobs} WHERE claimed_by IS NOT NULL
               AND claim_expires_at > now() AND replication_id <> $1)
           ON CONFLICT (replication_id) DO UPDATE SET
             request = coalesce(${jobs}.request, EXCLUDED.request),
             attempts = ${jobs}.attempts + 1,
             state = 'COPYING',
             claimed_by = EXCLUDED.claimed_by,
             claim_expires_at = EXCLUDED.claim_expires_at,
             updated_at = now()
           WHERE ${jobs}.state NOT IN (${terminalSql}) AND (${jobs}.claimed_by IS NULL
             OR ${jobs}.claimed_by = EXCLUDED.claimed_by OR ${jobs}.claim_expires_at <= now())
           RETURNING *)
         SELECT ${jobColumns}, (SELECT claimed_by FROM previous) AS previous_claimant FROM claimed`,
        [request.replicationId, JSON.stringify(request), owner, leaseMs, limit ?? null],
      );
      if (claimed) {
        const previous = claimed.previous_claimant;
        return {
          outcome: 'claimed',
          job: toJob(claimed),
          takenOverFrom: previous !== null && previous !== owner ? previous : null,
        };
      }
      const [row] = await rows<JobRow>(
        `SELECT ${jobColumns} FROM ${jobs} WHERE replication_id = $1`,
        [request.replicationId],
      );
      const job = row && toJob(row);
      if (job && terminalJobStates.includes(job.state)) return { outcome: 'ended', job };
      if (job?.claimedBy && job.claimedBy !== owner)
        return { outcome: 'held', claimedBy: job.claimedBy };
      return { outcome: 'full' };
    });
  }

  /**
   * Extends `owner`'s claim by `leaseMs` from now and reads the cancel flag on the way;
   * `held: false` when the claim is not `owner`'s any more (another replicator took it over).
   */
  async renewClaim(
    replicationId: string,
    owner: string,
    leaseMs: number,
  ): Promise<{ held: boolean; cancelRequested: boolean }> {
    const rows = await this.rows<{ cancel_requested: boolean }>(
      `UPDATE ${this.schema}.jobs SET claim_expires_at = ${leaseSql('$3')}
       WHERE replication_id = $1 AND claimed_by = $2 RETURNING cancel_requested`,
      [replicationId, owner, leaseMs],
    );
    return { held: rows.length > 0, cancelRequested: rows[0]?.cancel_requested ?? false };
  }

  /** Ends `owner`'s claim (a claim another replicator took over stays as it is). */
  async releaseClaim(replicationId: string, owner: string): Promise<void> {
    await this.rows(
      `UPDATE ${this.schema}.jobs SET claimed_by = NULL, claim_expires_at = NULL
       WHERE replication_id = $1 AND claimed_by = $2`,
      [replicationId, owner],
    );
  }

  /** Reserves the next progress sequence number (monotonic across attempts and processes). */
  async nextSequence(replicationId: string): Promise<number> {
    const rows = await this.rows<{ progress_sequence: number }>(
      `UPDATE ${this.schema}.jobs SET progress_sequence = progress_sequence + 1 WHERE replication_id = $1 RETURNING progress_sequence`,
      [replicationId],
    );
    const sequence = rows[0]?.progress_sequence;
    if (sequence === undefined) throw new Error(`no job ${replicationId} to number progress for`);
    return sequence;
  }

  /** Moves a job to `state`; a terminal state also ends its claim (nothing runs it any more). */
  async setState(
    replicationId: string,
    state: JobState,
    error: string | null = null,
  ): Promise<void> {
    const terminal = terminalJobStates.includes(state);
    await this.rows(
      `UPDATE ${this.schema}.jobs SET state = $2, error = $3, updated_at = now(),
         claimed_by = CASE WHEN $4 THEN NULL ELSE claimed_by END,
         claim_expires_at = CASE WHEN $4 THEN NULL ELSE claim_expires_at END
       WHERE replication_id = $1`,
      [replicationId, state, error, terminal],
    );
  }

  /** Marks a job (known or not yet arrived) to be cancelled; returns it. */
  async requestCancel(replicationId: string): Promise<Job> {
    const rows = await this.rows<JobRow>(
      `INSERT INTO ${this.schema}.jobs (replication_id, state, cancel_requested) VALUES ($1, 'QUEUED', true)
       ON CONFLICT (replication_id) DO UPDATE SET cancel_requested = true, updated_at = now()
       RETURNING ${jobColumns}`,
      [replicationId],
    );
    return toJob(rows[0]!);
  }

  async cancelRequested(replicationId: string): Promise<boolean> {
    const rows = await this.rows<{ cancel_requested: boolean }>(
      `SELECT cancel_requested FROM ${this.schema}.jobs WHERE replication_id = $1`,
      [replicationId],
    );
    return rows[0]?.cancel_requested ?? false;
  }

  async remember(messageId: string, type: string): Promise<void> {
    await this.rows(
      `INSERT INTO ${this.schema}.inbox (message_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [messageId, type],
    );
  }
}
