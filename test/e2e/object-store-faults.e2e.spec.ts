import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRegionCatalog } from '@snapferry/domain';
import { credentialVariables } from '@snapferry/storage';
import {
  type CephRgw,
  cephRgwAvailable,
  type S3FaultProxy,
  startCephRgw,
  startS3FaultProxy,
  waitFor,
} from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { putEarlyAnswered, registration } from '../support/e2e-helpers';

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`object store fault tests skipped: ${ceph.reason}`);

const chunk = 64 * 1024; // SNAPFERRY_CHUNK_SIZE in the harness
const bucket = 'sf-faults';

/**
 * A region on a bucket whose gateway crashes, throttles, hangs or fills up, with a copy in
 * flight. Shanghai's bucket is reached through a fault proxy (startS3FaultProxy) that also
 * records every request, so the test sees what reached the store; Guangzhou, the source, is
 * on disk. Each stack has its own prefix in the bucket and its own chunk index.
 */
(ceph.ok ? describe : describe.skip)('object store faults (Ceph RGW behind a fault proxy)', () => {
  let rgw: CephRgw;
  let proxy: S3FaultProxy;
  let dir: string;
  beforeAll(async () => {
    rgw = await startCephRgw({ bucket });
    await rgw.createBucket('sf-full');
    proxy = await startS3FaultProxy(rgw.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'snapferry-s3-faults-'));
  }, 180_000);
  afterAll(async () => {
    await proxy?.close();
    await rgw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A catalog and a replicator of Shanghai, whose bucket is `bucketName` under `prefix`. */
  async function stackOn(
    prefix: string,
    env: NodeJS.ProcessEnv,
    bucketName = bucket,
  ): Promise<TestStack> {
    const regionsFile = join(dir, `${prefix.replace(/\/$/, '')}-regions.json`);
    await writeFile(
      regionsFile,
      JSON.stringify({
        ...defaultRegionCatalog,
        regions: defaultRegionCatalog.regions.map((r) =>
          r.id === 'ap-shanghai'
            ? {
                ...r,
                objectStore: {
                  endpoint: proxy.endpoint,
                  bucket: bucketName,
                  prefix,
                  region: rgw.region,
                  forcePathStyle: true,
                },
              }
            : r,
        ),
      }),
    );
    const names = credentialVariables('ap-shanghai');
    return startTestStack({
      catalogEnv: {
        SNAPFERRY_REGIONS_FILE: regionsFile,
        [names.accessKeyId]: rgw.accessKeyId,
        [names.secretAccessKey]: rgw.secretAccessKey,
        ...env,
      },
      replicatorEnv: { REPLICATOR_REGIONS: 'ap-shanghai' },
    });
  }

  const copy = async (t: TestStack, id: string) => {
    const answer = await t.api
      .as(keys.alice)
      .post(`/v1/snapshots/${id}/copies`, { destinationRegions: ['ap-shanghai'] });
    expect(answer.body.results[0].code).toBe('Success');
    return answer.body.results[0] as { replicationId: string; snapshotId: string };
  };
  const ended = (t: TestStack, replicationId: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const r = (await t.api.as(keys.alice).get(`/v1/replications/${replicationId}`)).body;
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.state) && r;
      },
      { timeoutMs, what: `replication ${replicationId} to end` },
    );
  const read = async (t: TestStack, id: string) =>
    (await t.api.as(keys.alice).get(`/v1/snapshots/${id}/data`)).body as Buffer;
  const manifestsIn = async (prefix: string, bucketName = bucket) => {
    const s3 = rgw.client();
    try {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucketName, Prefix: `${prefix}manifests/` }),
      );
      return (page.Contents ?? []).map((o) => o.Key!.slice(`${prefix}manifests/`.length));
    } finally {
      s3.destroy();
    }
  };
  /** The chunk PUTs under `prefix` that reached the proxy, by chunk, in order. */
  const chunkPuts = (prefix: string) => {
    const byKey = new Map<string, (number | string)[]>();
    for (const r of proxy.requests) {
      const key = /^\/[^/]+\/([^?]*)/.exec(r.path)?.[1] ?? '';
      if (r.method !== 'PUT' || !key.startsWith(`${prefix}chunks/`)) continue;
      byKey.set(key, [...(byKey.get(key) ?? []), r.outcome]);
    }
    return byKey;
  };
  const isChunkPut =
    (prefix: string) =>
    ({ method, path }: { method: string; path: string }) =>
      method === 'PUT' && path.includes(`/${prefix}chunks/`);

  describe('with the default retry budget', () => {
    let t: TestStack;
    beforeAll(async () => {
      t = await stackOn('restart/', {
        SNAPFERRY_REGION_RETRY_MS: '60000',
        REPLICATOR_MAX_BYTES_PER_SEC: String(128 * 1024),
      });
    }, 180_000);
    afterAll(async () => t?.stop());

    it('the gateway SIGKILLed and restarted mid-copy: the copy waits, resumes and completes byte-identical, no stored chunk PUT again', async () => {
      const image = randomBytes(24 * chunk);
      const source = await normalSnapshot(t.api, keys.alice, {
        diskId: 'disk-fa170001',
        bytes: image,
      });
      const { replicationId, snapshotId } = await copy(t, source);
      await waitFor(
        async () => {
          const r = (await t.api.as(keys.alice).get(`/v1/replications/${replicationId}`)).body;
          return r.state === 'COPYING' && r.percent >= 20;
        },
        { timeoutMs: 30_000, what: 'the copy under way' },
      );
      await rgw.stopGateway({ signal: 'SIGKILL' });
      await sleep(3_000);
      expect((await t.api.as(keys.alice).get(`/v1/replications/${replicationId}`)).body.state).toBe(
        'COPYING',
      );
      await rgw.startGateway();
      const done = await ended(t, replicationId);
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1, bytesDone: image.length });
      expect(Buffer.compare(await read(t, snapshotId), image)).toBe(0);

      const puts = chunkPuts('restart/');
      expect(puts.size).toBe(24);
      // The crash was met: some PUTs found the gateway gone (-1) and were made again…
      expect([...puts.values()].flat().filter((o) => o === -1).length).toBeGreaterThan(0);
      for (const [key, outcomes] of puts) {
        // …but each chunk was stored once, and nothing stored was sent again.
        expect({ key, stored: outcomes.filter((o) => o === 200).length }).toEqual({
          key,
          stored: 1,
        });
        expect({ key, after: outcomes.slice(outcomes.indexOf(200) + 1) }).toEqual({
          key,
          after: [],
        });
      }
    }, 120_000);
  });

  describe('with a retry budget of 5 s and a 1 s request timeout', () => {
    const budgetMs = 5_000;
    let t: TestStack;
    beforeAll(async () => {
      t = await stackOn('budget/', {
        SNAPFERRY_REGION_RETRY_MS: String(budgetMs),
        SNAPFERRY_S3_TIMEOUT_MS: '1000',
      });
    }, 180_000);
    afterAll(async () => {
      proxy.setMode('pass');
      await t?.stop();
    });

    it('503 SlowDown, then silence, for less than the budget: retried with backoff, the copy completes', async () => {
      const image = randomBytes(8 * chunk);
      const source = await normalSnapshot(t.api, keys.alice, {
        diskId: 'disk-fa170002',
        bytes: image,
      });
      const seen = proxy.requests.length;
      proxy.setMode('slow-down', isChunkPut('budget/'));
      const { replicationId, snapshotId } = await copy(t, source);
      await sleep(1_500);
      proxy.setMode('silent', isChunkPut('budget/'));
      await sleep(1_500);
      proxy.setMode('pass');
      const done = await ended(t, replicationId);
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1 });
      expect(Buffer.compare(await read(t, snapshotId), image)).toBe(0);
      const outcomes = proxy.requests.slice(seen).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'slow-down').length).toBeGreaterThan(1);
      expect(outcomes.filter((o) => o === 'silent').length).toBeGreaterThan(0);
    }, 60_000);

    it.each([
      [
        'slow-down',
        /kept failing chunk [0-9a-f]{64} for \d+ s \(\d+ tries\): SlowDown \(HTTP 503\)/,
      ],
      ['silent', /kept failing chunk [0-9a-f]{64} for \d+ s \(\d+ tries\): TimeoutError/],
    ] as const)(
      'a store that stays %s: ReplicationFailed naming the S3 error, only after the budget',
      async (mode, reason) => {
        const source = await normalSnapshot(t.api, keys.alice, {
          diskId: mode === 'silent' ? 'disk-fa170003' : 'disk-fa170004',
          bytes: randomBytes(4 * chunk),
        });
        const seen = proxy.requests.length;
        proxy.setMode(mode, isChunkPut('budget/'));
        const { replicationId, snapshotId } = await copy(t, source);
        const failed = await ended(t, replicationId);
        proxy.setMode('pass');
        expect(failed).toMatchObject({ state: 'FAILED' });
        expect(failed.error).toMatch(/region ap-shanghai's object store \(bucket "sf-faults"/);
        expect(failed.error).toMatch(reason);
        // Retried with backoff, and given up only once the budget had passed since the first
        // refusal of that chunk; the tries the reason counts are those the store saw.
        const digest = /kept failing chunk ([0-9a-f]{64})/.exec(failed.error)![1]!;
        const tries = Number(/\((\d+) tries\)/.exec(failed.error)![1]);
        const forChunk = proxy.requests
          .slice(seen)
          .filter((r) => r.outcome === mode && r.path.includes(digest));
        expect(tries).toBeGreaterThan(1);
        expect(forChunk.length).toBe(tries);
        expect(Date.parse(failed.endedAt) - forChunk[0]!.at).toBeGreaterThanOrEqual(budgetMs);
        expect((await t.api.as(keys.alice).get(`/v1/snapshots/${snapshotId}`)).body.state).toBe(
          'FAILED',
        );
        expect(await manifestsIn('budget/')).not.toContain(`${snapshotId}.json`);
      },
      60_000,
    );

    it('a bucket over its quota: uploads answer 507 and copies fail naming QuotaExceeded, as on a full disk; both work once there is room', async () => {
      const full = await stackOn(
        'full/',
        { SNAPFERRY_REGION_RETRY_MS: String(budgetMs) },
        'sf-full',
      );
      try {
        await rgw.setBucketQuota('sf-full', 3 * chunk);
        const alice = full.api.as(keys.alice);
        const image = randomBytes(8 * chunk);
        const created = await alice.post(
          '/v1/snapshots',
          registration({ region: 'ap-shanghai', diskId: 'disk-fa170005' }),
        );
        const id = created.body.snapshotId as string;
        const refused = await putEarlyAnswered(
          full.url,
          `/v1/snapshots/${id}/data`,
          keys.alice,
          image,
        );
        expect(refused.status).toBe(507);
        expect(refused.body.error.code).toBe('ResourceInsufficient.StorageFull');
        expect((await alice.get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
        expect(await manifestsIn('full/', 'sf-full')).toEqual([]);

        const source = await normalSnapshot(full.api, keys.alice, {
          diskId: 'disk-fa170006',
          bytes: image,
        });
        const first = await copy(full, source);
        const failed = await ended(full, first.replicationId);
        expect(failed).toMatchObject({ state: 'FAILED' });
        expect(failed.error).toMatch(
          /the store of region ap-shanghai is full \(bucket "sf-full" .* refused the write: QuotaExceeded \(HTTP 403\)\) writing chunk/,
        );
        expect(await manifestsIn('full/', 'sf-full')).toEqual([]);

        await rgw.setBucketQuota('sf-full', null);
        const stored = await alice.put(`/v1/snapshots/${id}/data`, image);
        expect(stored.status).toBe(200);
        expect(Buffer.compare(await read(full, id), image)).toBe(0);
        const second = await copy(full, source);
        expect(await ended(full, second.replicationId)).toMatchObject({ state: 'COMPLETED' });
        expect(Buffer.compare(await read(full, second.snapshotId), image)).toBe(0);
      } finally {
        await rgw.setBucketQuota('sf-full', null);
        await full.stop();
      }
    }, 150_000);
  });
});
