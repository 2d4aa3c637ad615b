import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { streamIds } from '@snapferry/domain';
import { PostgresEventStore, tryAcquireLeadership } from '@snapferry/event-store';
import type { SnapferryConfig } from '@snapferry/platform';
import { RegionStores, type RegionStore } from '@snapferry/storage';
import { CONFIG, LOGGER, METRICS } from '../tokens';
import { DataReaperRepository } from './data-reaper.repository';

/** How often the leader looks for regions with work (and so how soon a deletion's data goes). */
const tickMs = 1_000;
/** How often an instance that does not lead tries to. */
const leaderRetryMs = 1_000;
/** Deletions read per round from a region's waiting work. */
const dropBatch = 100;

/**
 * The data reaper's calls to the regions' stores, outside any transaction: for each region, it
 * drops the data of deleted snapshots (each work row goes once its calls succeeded; they are
 * idempotent, so at least once is enough), then sweeps the region if its sweep is due
 * (`region_gc`: periodically, sooner after deletions). Regions are served side by side: one
 * that is down backs off (logged, counted in /metrics) and its work waits in the database
 * while the others go on. One catalog instance leads at a time (an advisory lock held by its
 * own connection, no transaction); losing it, or stopping, aborts the calls in flight.
 */
@Injectable()
export class RegionSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly rows: DataReaperRepository,
    private readonly store: PostgresEventStore,
    private readonly regionStores: RegionStores,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    @Inject(METRICS) metrics: Registry,
  ) {
    const states = () => rows.states();
    new Gauge({
      name: 'snapferry_data_reaper_waiting',
      help: "Deleted snapshots whose data a region's store has not dropped yet (the region is down, say)",
      labelNames: ['region'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const s of await states()) this.set({ region: s.region }, s.waiting);
      },
    });
    new Gauge({
      name: 'snapferry_region_gc_failures',
      help: "Failed attempts in a row to reach a region's store for its data reaper work (0: healthy)",
      labelNames: ['region'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const s of await states()) this.set({ region: s.region }, s.failures);
      },
    });
    new Gauge({
      name: 'snapferry_region_gc_last_success_timestamp_seconds',
      help: "When a region's last garbage collection succeeded (Unix time)",
      labelNames: ['region'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const s of await states())
          if (s.lastRunAt) this.set({ region: s.region }, s.lastRunAt.getTime() / 1000);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.running ??= this.run(this.stop.signal);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await this.running;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const lead = await tryAcquireLeadership(this.config.databaseUrl, 'data-reaper').catch(
        (error: unknown) => {
          this.logger.warn({ err: error }, 'data reaper could not reach the database');
          return undefined;
        },
      );
      if (!lead) {
        await pause(leaderRetryMs, signal);
        continue;
      }
      const leading = AbortSignal.any([signal, lead.lost]);
      setMaxListeners(0, leading); // every region's call in flight listens to it
      try {
        await this.lead(leading);
      } finally {
        await lead.release();
      }
    }
  }

  /** While leading: every region with work gets a turn, each on its own, none waiting for another. */
  private async lead(signal: AbortSignal): Promise<void> {
    const busy = new Map<string, Promise<void>>();
    let known = false;
    try {
      while (!signal.aborted) {
        try {
          if (!known) await this.rows.ensureRegions(this.config.regions.regions.map((r) => r.id));
          known = true;
          for (const region of await this.rows.due())
            if (!busy.has(region))
              busy.set(
                region,
                this.reap(region, signal).finally(() => busy.delete(region)),
              );
        } catch (error) {
          this.logger.warn({ err: error }, 'data reaper could not read its work; retrying');
        }
        await pause(tickMs, signal);
      }
    } finally {
      await Promise.allSettled(busy.values());
    }
  }

  /** One region's turn: drop the deleted snapshots' data, then sweep if due. */
  private async reap(region: string, signal: AbortSignal): Promise<void> {
    try {
      const store = this.regionStores.get(region);
      await this.dropDeleted(store, signal);
      const claim = await this.rows.claimSweep(region);
      if (!claim) return;
      const leftovers = await this.dropLeftovers(store, signal);
      const stats = await store.collectGarbage({ graceMs: this.config.gcGraceMs, signal });
      await this.rows.swept(region, claim, stats);
      this.logger.info({ region, leftovers, ...stats }, 'collected garbage');
    } catch (error) {
      if (signal.aborted) return;
      const backoff = await this.rows.failed(region, error).catch(() => undefined);
      this.logger.warn(
        { err: error, region, ...backoff },
        'data reaper could not complete its work in a region (its store unreachable?); the work waits and is retried',
      );
    }
  }

  /** The manifests and pending records of deleted snapshots, each work row gone once its calls succeeded. */
  private async dropDeleted(store: RegionStore, signal: AbortSignal): Promise<void> {
    for (;;) {
      const ids = await this.rows.waiting(store.region, dropBatch);
      if (ids.length === 0) return;
      for (const id of ids) {
        await untilAborted(store.deleteManifest(id), signal);
        await untilAborted(store.deletePending(id), signal); // an upload that never finished
        await this.rows.dropped(store.region, [id]);
      }
    }
  }

  /**
   * Manifests and pending records of snapshots that are deleted: normally dropped when the
   * deletion is processed, but one written after that (an upload whose snapshot was deleted
   * meanwhile and whose cleanup failed) would otherwise keep its chunks forever.
   */
  private async dropLeftovers(store: RegionStore, signal: AbortSignal): Promise<number> {
    const ids = [
      ...new Set([
        ...(await untilAborted(store.listManifests(), signal)),
        ...(await untilAborted(store.listPending(), signal)),
      ]),
    ];
    let dropped = 0;
    for (let i = 0; i < ids.length; i += 1_000) {
      const batch = ids.slice(i, i + 1_000);
      const deleted = await this.store.streamsWithEvent(
        batch.map((id) => streamIds.snapshot(id)),
        'SnapshotDeleted',
      );
      for (const id of batch) {
        if (!deleted.has(streamIds.snapshot(id))) continue;
        const manifest = await untilAborted(store.deleteManifest(id), signal);
        const pending = await untilAborted(store.deletePending(id), signal);
        if (manifest || pending) dropped++;
      }
    }
    return dropped;
  }
}

/**
 * `work`, or the signal's reason as soon as it aborts: the port's small calls take no signal
 * (one to a region that is down retries for SNAPFERRY_REGION_RETRY_MS); they are idempotent,
 * so one left running is harmless and is made again on the next turn.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    void work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits `ms`, less if `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
