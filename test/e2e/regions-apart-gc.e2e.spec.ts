import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signRegionRequest } from '@snapferry/storage';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import { withProcessOutput } from '../support/process-harness';
import { regionSecret, startRegionsApart, type RegionsApart } from '../support/regions-apart';

const MiB = 1024 * 1024;

/** A sample's value in a Prometheus text page, or undefined if the page has no such sample. */
async function sample(
  baseUrl: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const page = await (await fetch(`${baseUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const [series, value] = line.split(' ');
    if (wanted.every((label) => series!.includes(label))) return Number(value);
  }
  return undefined;
}

/**
 * Chunk files written straight into a region's store (valid ones, nothing references them):
 * enough that a GC or a scrub of the region takes a while.
 */
async function fillRegion(dataDir: string, region: string, count: number): Promise<void> {
  const root = join(dataDir, region, 'chunks');
  for (let i = 0; i < 256; i++)
    await mkdir(join(root, i.toString(16).padStart(2, '0')), { recursive: true });
  for (let i = 0; i < count; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, async () => {
        const bytes = randomBytes(64);
        const digest = createHash('sha256').update(bytes).digest('hex');
        await writeFile(join(root, digest.slice(0, 2), digest), bytes);
      }),
    );
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

// A region that is down must not hold up the others (its store calls are made outside any
// transaction), and a region's store runs one GC and one scrub at a time, stopped when its
// callers go away.
describe('regions apart: a region that is down, and the store service’s GC and scrub', () => {
  let s: RegionsApart;
  beforeAll(async () => {
    s = await startRegionsApart({ regions: ['ap-guangzhou', 'ap-shanghai', 'ap-singapore'] });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    await fillRegion(s.dataDirs.get('ap-guangzhou')!, 'ap-guangzhou', 30_000);
    // The catalog's first sweep of the region (every region is due when first seen) is over.
    await waitFor(
      () =>
        sample(s.catalog.url, 'snapferry_region_gc_last_success_timestamp_seconds', {
          region: 'ap-guangzhou',
        }),
      { timeoutMs: 60_000, what: "the catalog's first sweep of ap-guangzhou" },
    );
  }, 120_000);
  afterAll(async () => s?.stop(), 60_000);

  const alice = () => s.api.as(keys.alice);
  const storeRuns = (region: string, kind: string, outcome: string) =>
    sample(s.storeUrls.get(region)!, 'snapferry_store_runs_total', { region, kind, outcome });

  it(
    "two GC calls at once to a region's store run one GC, and both get its statistics",
    withProcessOutput(async () => {
      const store = s.storeUrls.get('ap-guangzhou')!;
      const path = '/v1/store/ap-guangzhou/gc';
      const body = Buffer.from('{}');
      const gc = async () => {
        const contentSha256 = createHash('sha256').update(body).digest('hex');
        const answer = await fetch(`${store}${path}`, {
          method: 'POST',
          headers: signRegionRequest(regionSecret, { method: 'POST', path, contentSha256 }),
          body,
        });
        return { status: answer.status, body: (await answer.json()) as Record<string, number> };
      };
      const before = (await storeRuns('ap-guangzhou', 'gc', 'completed')) ?? 0;
      const [first, second] = await Promise.all([gc(), gc()]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(first.body['chunksScanned']).toBeGreaterThanOrEqual(30_000);
      expect(second.body).toEqual(first.body);
      expect(await storeRuns('ap-guangzhou', 'gc', 'completed')).toBe(before + 1);

      // Once it is over, the next call runs a GC of its own.
      expect((await gc()).status).toBe(200);
      expect(await storeRuns('ap-guangzhou', 'gc', 'completed')).toBe(before + 2);
    }),
    60_000,
  );

  it(
    "an operator's scrub aborted at the catalog stops the scrub in the region's store",
    withProcessOutput(async () => {
      const store = s.storeUrls.get('ap-guangzhou')!;
      const labels = { region: 'ap-guangzhou', kind: 'scrub' };
      const caller = new AbortController();
      const scrub = fetch(`${s.catalog.url}/v1/admin/regions/ap-guangzhou/scrub`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.operator}` },
        signal: caller.signal,
      }).catch(() => 'aborted');
      await waitFor(
        async () => (await sample(store, 'snapferry_store_runs_active', labels)) === 1,
        {
          intervalMs: 20,
          what: 'the scrub to start in the region',
        },
      );
      caller.abort();
      expect(await scrub).toBe('aborted');
      await waitFor(
        async () => (await sample(store, 'snapferry_store_runs_active', labels)) === 0,
        {
          what: 'the scrub to stop',
        },
      );
      expect(await storeRuns('ap-guangzhou', 'scrub', 'stopped')).toBe(1);
      expect(await storeRuns('ap-guangzhou', 'scrub', 'completed')).toBeUndefined();
    }),
    60_000,
  );

  it(
    'a region whose replicator is down: copies between two others still reach NORMAL and the log advances; its deletions wait until it is back',
    withProcessOutput(async () => {
      const doomed = await normalSnapshot(s.api, keys.alice, {
        region: 'ap-singapore',
        bytes: randomBytes(MiB),
        diskId: 'disk-d0e50001',
      });
      const manifest = join(
        s.dataDirs.get('ap-singapore')!,
        'ap-singapore',
        'manifests',
        `${doomed}.json`,
      );
      expect(await exists(manifest)).toBe(true);
      const singapore = s.replicators.get('ap-singapore')!;
      await singapore.kill('SIGKILL');
      expect((await alice().delete(`/v1/snapshots/${doomed}`)).status).toBe(204);
      const waiting = () =>
        sample(s.catalog.url, 'snapferry_data_reaper_waiting', { region: 'ap-singapore' });
      await waitFor(async () => (await waiting()) === 1, {
        what: 'the deletion recorded, waiting for its region',
      });

      // Singapore's store calls are retrying (SNAPFERRY_REGION_RETRY_MS is a minute here).
      const id = await normalSnapshot(s.api, keys.alice, {
        bytes: randomBytes(MiB),
        diskId: 'disk-d0e50002',
      });
      const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      const { snapshotId, replicationId } = copy.body.results[0];
      await waitFor(
        async () => (await alice().get(`/v1/snapshots/${snapshotId}`)).body.state === 'NORMAL',
        { timeoutMs: 30_000, what: 'the copy to Shanghai NORMAL while Singapore is down' },
      );
      const completed = await s.api
        .as(keys.operator)
        .get('/v1/events?type=ReplicationCompleted&limit=1000');
      expect(
        completed.body.events.some(
          (e: { data: { replicationId: string } }) => e.data.replicationId === replicationId,
        ),
      ).toBe(true);
      expect(await exists(manifest)).toBe(true);
      expect(await waiting()).toBe(1);

      await singapore.start();
      await waitFor(async () => !(await exists(manifest)) && (await waiting()) === 0, {
        timeoutMs: 90_000,
        what: 'the deleted snapshot’s data dropped once Singapore is back',
      });
    }),
    180_000,
  );
});
