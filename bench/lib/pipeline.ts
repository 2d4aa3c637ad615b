import { Client } from 'pg';
import { Api, tenantCount, tenantKey } from './api';
import { cpuSince, cpuSnapshot, perUnit } from './service';
import { createSources, destinationRegions, pool, sleep, type Stack } from './stack';
import { bucketDelta, histogramBuckets, histogramQuantile, percentile } from './stats';

/**
 * `count` copies of tiny snapshots through the whole stack: copy request -> outbox relay ->
 * replicator -> progress events -> catalog store -> projections -> target NORMAL in the
 * region's list. Requests go round-robin to the stack's catalogs.
 */

export interface PipelineResult {
  count: number;
  seconds: number;
  completedPerSec: number;
  eventsPerSec: number;
  eventsPerCopy: number;
  lagP50Ms: number;
  lagP99Ms: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  conflicts: number;
}

const lagMetric = 'snapferry_projection_lag_seconds';

async function lagBuckets(stack: Stack): Promise<Map<number, number>> {
  const total = new Map<number, number>();
  for (const api of stack.apis)
    for (const [le, n] of histogramBuckets(await api.metrics(), lagMetric))
      total.set(le, (total.get(le) ?? 0) + n);
  return total;
}

export async function runPipeline(
  stack: Stack,
  count: number,
  concurrency = 10,
): Promise<PipelineResult> {
  const regions = destinationRegions;
  // Spread as real traffic is: request i is account i % 8 to region (i / 8) % 8, so requests in
  // flight together name different sources and different quota rows.
  const perAccount = Math.ceil(count / tenantCount / regions.length);
  const tenantSources = await Promise.all(
    Array.from({ length: tenantCount }, (_, a) =>
      createSources(new Api(stack.apis[0]!.baseUrl, tenantKey(a)), perAccount, 4096, 2),
    ),
  );
  const tenantApis = stack.apis.map((api) =>
    Array.from({ length: tenantCount }, (_, a) => new Api(api.baseUrl, tenantKey(a))),
  );
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const startPosition =
      (await db.query<{ p: string | null }>('SELECT max(global_position) AS p FROM events')).rows[0]
        ?.p ?? '0';
    const lagBefore = await lagBuckets(stack);
    const sentAt = new Map<string, number>();
    let conflicts = 0;
    const services = Object.fromEntries([
      ...stack.catalogs.map((c, i) => [`catalog${i || ''}`, c.pid] as const),
      ...stack.replicators.map((r, i) => [`replicator${i || ''}`, r.pid] as const),
    ]);
    const cpuBefore = cpuSnapshot(services);
    const t0 = Date.now();
    const requests = pool(count, concurrency, async (i) => {
      const account = i % tenantCount;
      const j = Math.floor(i / tenantCount);
      const source = tenantSources[account]![Math.floor(j / regions.length)]!;
      const region = regions[j % regions.length]!;
      const api = tenantApis[i % stack.apis.length]![account]!;
      for (;;) {
        const at = Date.now();
        try {
          const answer = await api.copy(source, [region]);
          const result = answer.results[0];
          if (result?.code !== 'Success' || !result.snapshotId)
            throw new Error(`copy ${source} -> ${region}: ${JSON.stringify(answer)}`);
          sentAt.set(result.snapshotId, at);
          return;
        } catch (error) {
          if (!String(error).includes('ConcurrentModification')) throw error;
          conflicts += 1;
        }
      }
    });
    let requestError: Error | undefined;
    requests.catch(
      (error: unknown) =>
        (requestError = error instanceof Error ? error : new Error(String(error))),
    );

    const deadline = t0 + Math.max(180_000, count * 100);
    let done = 0;
    for (;;) {
      if (requestError) throw requestError;
      // The regions' lists, counted over all accounts at once (the list endpoints are per account).
      const normal = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM snapshot_view WHERE region = ANY($1) AND state = 'NORMAL'`,
        [regions],
      );
      done = Number(normal.rows[0]?.n);
      if (done >= count) break;
      const failed = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM events WHERE global_position > $1 AND type = 'ReplicationFailed'`,
        [startPosition],
      );
      if (Number(failed.rows[0]?.n) > 0)
        throw new Error(`${failed.rows[0]?.n} replications failed`);
      if (Date.now() > deadline)
        throw new Error(
          `pipeline: only ${done} of ${count} copies NORMAL after ${(Date.now() - t0) / 1000} s`,
        );
      await sleep(200);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSince(cpuBefore, services);
    process.stderr.write(
      `bench: pipeline: ms of CPU per copy: ${perUnit(cpu, count)} (${Object.entries(cpu)
        .map(([k, s]) => `${k} ${((s / seconds) * 100).toFixed(0)} %`)
        .join(', ')} of a core)\n`,
    );
    await requests;

    const lag = bucketDelta(await lagBuckets(stack), lagBefore);
    const events = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM events WHERE global_position > $1',
      [startPosition],
    );
    const stored = await db.query<{ stream_id: string; at: Date }>(
      `SELECT stream_id, recorded_at AS at FROM events WHERE global_position > $1 AND type = 'SnapshotDataStored'`,
      [startPosition],
    );
    const e2e = stored.rows.flatMap((row) => {
      const sent = sentAt.get(row.stream_id.replace(/^snapshot-/, ''));
      return sent === undefined ? [] : [row.at.getTime() - sent];
    });
    const eventCount = Number(events.rows[0]?.n);
    return {
      count,
      seconds,
      completedPerSec: count / seconds,
      eventsPerSec: eventCount / seconds,
      eventsPerCopy: eventCount / count,
      lagP50Ms: histogramQuantile(lag, 0.5) * 1000,
      lagP99Ms: histogramQuantile(lag, 0.99) * 1000,
      e2eP50Ms: percentile(e2e, 50),
      e2eP99Ms: percentile(e2e, 99),
      conflicts,
    };
  } finally {
    await db.end();
  }
}
