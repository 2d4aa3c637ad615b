import type { SqlExecutor } from '@snapferry/event-store';
import type { GcStats } from '@snapferry/storage';

/** When regions are swept (SNAPFERRY_GC_INTERVAL_MS, SNAPFERRY_GC_PERIOD_MS, SNAPFERRY_GC_GRACE_MS). */
export interface GcTiming {
  /** After deletions, at most one sweep per this interval. */
  intervalMs: number;
  /** Every region at least this often. */
  periodMs: number;
  /** Chunks younger than this stay; a sweep after deletions comes back once it has passed. */
  graceMs: number;
}

export interface Deletion {
  region: string;
  snapshotId: string;
}

/** A sweep claimed: the deletions counted when it started (those recorded later need another). */
export interface SweepClaim {
  deletionsSeen: string;
}

export interface RegionReaperState {
  region: string;
  waiting: number;
  failures: number;
  lastRunAt: Date | null;
}

/** A failed attempt's wait before the region is tried again: 5 s doubling to 5 minutes (as `failed` stores it). */
export const retryDelayMs = (failures: number): number =>
  Math.min(5 * 60_000, 5_000 * 2 ** Math.min(Math.max(failures - 1, 0), 6));

const ms = (param: string) => `(${param} * interval '1 millisecond')`;

/**
 * The data reaper's durable state: `data_reaper_work` (the snapshots whose manifest and pending
 * record a region's store must still drop) and `region_gc` (each region's sweep schedule, its
 * last outcome, and its backoff while it fails). Deletions are recorded inside the reaper's
 * batch transaction; everything else runs in single statements, so no transaction is ever held
 * open across a call to a region's store. `deletions` counts the deletions recorded in a
 * region: a sweep that saw fewer than there are when it ends knows that more came meanwhile
 * (committed in any order), whatever the clocks say.
 */
export class DataReaperRepository {
  constructor(
    private readonly db: SqlExecutor,
    private readonly timing: GcTiming,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** In the batch's transaction: the data to drop, and the regions' sweeps due soon. */
  async recordDeletions(tx: SqlExecutor, deletions: readonly Deletion[]): Promise<void> {
    if (deletions.length === 0) return;
    await tx.execute(
      `INSERT INTO data_reaper_work (region, snapshot_id, recorded_at)
       SELECT region, snapshot_id, $3::timestamptz FROM unnest($1::text[], $2::text[]) AS d(region, snapshot_id)
       ON CONFLICT DO NOTHING`,
      [deletions.map((d) => d.region), deletions.map((d) => d.snapshotId), this.clock()],
    );
    const perRegion = new Map<string, number>();
    for (const { region } of deletions) perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
    const regions = [...perRegion.keys()].sort(); // rows locked in one order: no deadlock
    // Due now, or once the interval since the last sweep has passed; and once more after the grace.
    await tx.execute(
      `INSERT INTO region_gc (region, next_run_at, follow_up, deletions)
       SELECT region, $3::timestamptz, true, n FROM unnest($1::text[], $2::bigint[]) AS d(region, n)
       ON CONFLICT (region) DO UPDATE SET
         next_run_at = least(region_gc.next_run_at, greatest($3::timestamptz, region_gc.last_run_at + ${ms('$4')})),
         follow_up = true,
         deletions = region_gc.deletions + EXCLUDED.deletions`,
      [regions, regions.map((r) => perRegion.get(r)), this.clock(), this.timing.intervalMs],
    );
  }

  /**
   * A row for every region the service reaches, due now if it was never swept; a shortened
   * period applies at once.
   */
  async ensureRegions(regions: readonly string[]): Promise<void> {
    await this.db.execute(
      `INSERT INTO region_gc (region, next_run_at) SELECT unnest($1::text[]), $2::timestamptz
       ON CONFLICT (region) DO UPDATE
         SET next_run_at = least(region_gc.next_run_at, region_gc.last_run_at + ${ms('$3')})`,
      [[...regions].sort(), this.clock(), this.timing.periodMs],
    );
  }

  /** Regions with work now: data waiting to be dropped or a sweep due, and not backing off. */
  async due(): Promise<string[]> {
    const rows = await this.db.query<{ region: string }>(
      `SELECT g.region FROM region_gc g
       WHERE (g.retry_at IS NULL OR g.retry_at <= $1::timestamptz)
         AND (g.next_run_at <= $1::timestamptz OR EXISTS (SELECT 1 FROM data_reaper_work w WHERE w.region = g.region))
       ORDER BY g.region`,
      [this.clock()],
    );
    return rows.map((row) => row.region);
  }

  /** Snapshots whose data the region's store must still drop, oldest first. */
  async waiting(region: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ snapshot_id: string }>(
      `SELECT snapshot_id FROM data_reaper_work WHERE region = $1 ORDER BY recorded_at, snapshot_id LIMIT $2`,
      [region, limit],
    );
    return rows.map((row) => row.snapshot_id);
  }

  /** The region's store dropped these snapshots' data. */
  async dropped(region: string, snapshotIds: readonly string[]): Promise<void> {
    if (snapshotIds.length === 0) return;
    await this.db.execute(
      `DELETE FROM data_reaper_work WHERE region = $1 AND snapshot_id = ANY($2::text[])`,
      [region, snapshotIds],
    );
  }

  /** The sweep, if it is due (null otherwise). */
  async claimSweep(region: string): Promise<SweepClaim | null> {
    const [row] = await this.db.query<{ deletions: string }>(
      `SELECT deletions::text AS deletions FROM region_gc WHERE region = $1 AND next_run_at <= $2::timestamptz`,
      [region, this.clock()],
    );
    return row ? { deletionsSeen: row.deletions } : null;
  }

  /**
   * A sweep succeeded. Next: after the interval if deletions came while it ran; after the grace
   * if it followed deletions (their young chunks); else after the period.
   */
  async swept(region: string, claim: SweepClaim, stats: GcStats): Promise<void> {
    await this.db.execute(
      `UPDATE region_gc SET
         last_run_at = $2::timestamptz, last_outcome = 'succeeded', last_stats = $3::jsonb, last_error = NULL,
         failures = 0, retry_at = NULL,
         next_run_at = CASE
           WHEN deletions > $4::bigint THEN $2::timestamptz + ${ms('$5')}
           WHEN follow_up THEN $2::timestamptz + least(${ms('$6')}, ${ms('$7')} + interval '1 second')
           ELSE $2::timestamptz + ${ms('$6')} END,
         follow_up = deletions > $4::bigint
       WHERE region = $1`,
      [
        region,
        this.clock(),
        JSON.stringify(stats),
        claim.deletionsSeen,
        this.timing.intervalMs,
        this.timing.periodMs,
        this.timing.graceMs,
      ],
    );
  }

  /** An attempt failed (the region's store unreachable, say): the region waits, then tries again. */
  async failed(region: string, error: unknown): Promise<{ failures: number; retryInMs: number }> {
    const [row] = await this.db.query<{ failures: number }>(
      `UPDATE region_gc SET failures = failures + 1, last_outcome = 'failed', last_error = $2,
         retry_at = $3::timestamptz + least(interval '5 minutes', interval '5 seconds' * power(2, least(failures, 6)))
       WHERE region = $1 RETURNING failures`,
      [region, error instanceof Error ? error.message : String(error), this.clock()],
    );
    const failures = row?.failures ?? 1;
    return { failures, retryInMs: retryDelayMs(failures) };
  }

  /** Per region, for /metrics: deletions waiting, failures in a row, the last successful sweep. */
  async states(): Promise<RegionReaperState[]> {
    const rows = await this.db.query<{
      region: string;
      waiting: string;
      failures: number;
      last_run_at: Date | null;
    }>(
      `SELECT g.region, g.failures, g.last_run_at,
         (SELECT count(*) FROM data_reaper_work w WHERE w.region = g.region)::text AS waiting
       FROM region_gc g ORDER BY g.region`,
    );
    return rows.map((row) => ({
      region: row.region,
      waiting: Number(row.waiting),
      failures: row.failures,
      lastRunAt: row.last_run_at,
    }));
  }
}
