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
}

interface JobRow {
  replication_id: string;
  request: ReplicationRequested['data'] | null;
  state: JobState;
  attempts: number;
  progress_sequence: number;
  cancel_requested: boolean;
  error: string | null;
}

const toJob = (r: JobRow): Job => ({
  replicationId: r.replication_id,
  request: r.request,
  state: r.state,
  attempts: r.attempts,
  progressSequence: r.progress_sequence,
  cancelRequested: r.cancel_requested,
  error: r.error,
});

/** `ap-guangzhou` -> `replicator_ap_guangzhou`: one schema per region in the replicators' database. */
export function schemaFor(region: string): string {
  if (!isRegionId(region)) throw new Error(`not a region id: ${JSON.stringify(region)}`);
  return `replicator_${region.replace(/-/g, '_')}`;
}

/**
 * The replicator's durable state for one region: its jobs (with the progress sequence,
 * so numbers keep rising across restarts) and the inbox of processed message ids.
 */
export class JobStore {
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

  async seen(messageId: string): Promise<boolean> {
    const rows = await this.rows<{ seen: 1 }>(
      `SELECT 1 AS seen FROM ${this.schema}.inbox WHERE message_id = $1`,
      [messageId],
    );
    return rows.length > 0;
  }

  async get(replicationId: string): Promise<Job | undefined> {
    const rows = await this.rows<JobRow>(
      `SELECT * FROM ${this.schema}.jobs WHERE replication_id = $1`,
      [replicationId],
    );
    return rows[0] && toJob(rows[0]);
  }

  /** Records the request (once: a redelivered request finds its job) and starts an attempt. */
  async beginAttempt(request: ReplicationRequested['data']): Promise<Job> {
    const jobs = `${this.schema}.jobs`;
    const rows = await this.rows<JobRow>(
      `INSERT INTO ${jobs} (replication_id, request, state, attempts) VALUES ($1, $2, 'COPYING', 1)
       ON CONFLICT (replication_id) DO UPDATE SET
         request = coalesce(${jobs}.request, EXCLUDED.request),
         attempts = ${jobs}.attempts + CASE WHEN ${jobs}.state IN (${terminalSql}) THEN 0 ELSE 1 END,
         state = CASE WHEN ${jobs}.state IN (${terminalSql}) THEN ${jobs}.state ELSE 'COPYING' END,
         updated_at = now()
       RETURNING *`,
      [request.replicationId, JSON.stringify(request)],
    );
    return toJob(rows[0]!);
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

  async setState(
    replicationId: string,
    state: JobState,
    error: string | null = null,
  ): Promise<void> {
    await this.rows(
      `UPDATE ${this.schema}.jobs SET state = $2, error = $3, updated_at = now() WHERE replication_id = $1`,
      [replicationId, state, error],
    );
  }

  /** Marks a job (known or not yet arrived) to be cancelled; returns it. */
  async requestCancel(replicationId: string): Promise<Job> {
    const rows = await this.rows<JobRow>(
      `INSERT INTO ${this.schema}.jobs (replication_id, state, cancel_requested) VALUES ($1, 'QUEUED', true)
       ON CONFLICT (replication_id) DO UPDATE SET cancel_requested = true, updated_at = now() RETURNING *`,
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
