import {
  type ReplicationRequested,
  type TerminalReplicationState,
  terminalReplicationStates,
} from '@snapferry/domain';
import type { DataSource } from 'typeorm';

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
export const schemaFor = (region: string) => `replicator_${region.replace(/[^a-z0-9]/g, '_')}`;

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

  /** Creates or migrates this region's schema (versioned, idempotent, under an advisory lock). */
  async migrate(): Promise<void> {
    const s = this.schema;
    await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [s]);
      await m.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await m.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL)`);
      const rows = (await m.query<unknown>(
        `SELECT max(version) AS v FROM ${s}.schema_version`,
      )) as { v: number | null }[];
      const version = rows[0]?.v ?? 0;
      if (version < 1) {
        await m.query(`
          CREATE TABLE ${s}.jobs (
            replication_id text PRIMARY KEY,
            request jsonb,
            state text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            progress_sequence integer NOT NULL DEFAULT 0,
            cancel_requested boolean NOT NULL DEFAULT false,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
          )`);
        await m.query(`
          CREATE TABLE ${s}.inbox (
            message_id text PRIMARY KEY,
            type text NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now()
          )`);
        await m.query(`INSERT INTO ${s}.schema_version VALUES (1)`);
      }
    });
  }

  async seen(messageId: string): Promise<boolean> {
    const rows = (await this.dataSource.query<unknown>(
      `SELECT 1 FROM ${this.schema}.inbox WHERE message_id = $1`,
      [messageId],
    )) as unknown[];
    return rows.length > 0;
  }

  async get(replicationId: string): Promise<Job | undefined> {
    const rows = (await this.dataSource.query<unknown>(
      `SELECT * FROM ${this.schema}.jobs WHERE replication_id = $1`,
      [replicationId],
    )) as JobRow[];
    return rows[0] && toJob(rows[0]);
  }

  /** Records the request (once: a redelivered request finds its job) and starts an attempt. */
  async beginAttempt(request: ReplicationRequested['data']): Promise<Job> {
    const rows = (await this.dataSource.query<unknown>(
      `INSERT INTO ${this.schema}.jobs (replication_id, request, state, attempts) VALUES ($1, $2, 'COPYING', 1)
       ON CONFLICT (replication_id) DO UPDATE SET
         request = coalesce(${this.schema}.jobs.request, EXCLUDED.request),
         attempts = ${this.schema}.jobs.attempts + CASE WHEN ${this.schema}.jobs.state IN (${terminalSql}) THEN 0 ELSE 1 END,
         state = CASE WHEN ${this.schema}.jobs.state IN (${terminalSql}) THEN ${this.schema}.jobs.state ELSE 'COPYING' END,
         updated_at = now()
       RETURNING *`,
      [request.replicationId, JSON.stringify(request)],
    )) as JobRow[];
    return toJob(rows[0]!);
  }

  /** Reserves the next progress sequence number (monotonic across attempts and processes). */
  async nextSequence(replicationId: string): Promise<number> {
    // TypeORM answers an UPDATE with [rows, rowCount], not rows: unwrap it, or every update is #1.
    const [rows] = (await this.dataSource.query<unknown>(
      `UPDATE ${this.schema}.jobs SET progress_sequence = progress_sequence + 1 WHERE replication_id = $1 RETURNING progress_sequence`,
      [replicationId],
    )) as [{ progress_sequence: number }[], number];
    const sequence = rows[0]?.progress_sequence;
    if (sequence === undefined) throw new Error(`no job ${replicationId} to number progress for`);
    return sequence;
  }

  async setState(
    replicationId: string,
    state: JobState,
    error: string | null = null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.schema}.jobs SET state = $2, error = $3, updated_at = now() WHERE replication_id = $1`,
      [replicationId, state, error],
    );
  }

  /** Marks a job (known or not yet arrived) to be cancelled; returns it. */
  async requestCancel(replicationId: string): Promise<Job> {
    const rows = (await this.dataSource.query<unknown>(
      `INSERT INTO ${this.schema}.jobs (replication_id, state, cancel_requested) VALUES ($1, 'QUEUED', true)
       ON CONFLICT (replication_id) DO UPDATE SET cancel_requested = true, updated_at = now() RETURNING *`,
      [replicationId],
    )) as JobRow[];
    return toJob(rows[0]!);
  }

  async cancelRequested(replicationId: string): Promise<boolean> {
    const rows = (await this.dataSource.query<unknown>(
      `SELECT cancel_requested FROM ${this.schema}.jobs WHERE replication_id = $1`,
      [replicationId],
    )) as {
      cancel_requested: boolean;
    }[];
    return rows[0]?.cancel_requested ?? false;
  }

  async remember(messageId: string, type: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.schema}.inbox (message_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [messageId, type],
    );
  }
}
