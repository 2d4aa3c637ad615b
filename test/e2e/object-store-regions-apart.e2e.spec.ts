import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { credentialVariables } from '@snapferry/storage';
import { type CephRgw, cephRgwAvailable, startCephRgw, waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import { withProcessOutput } from '../support/process-harness';
import { filesUnder, startRegionsApart, type RegionsApart } from '../support/regions-apart';

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`regions apart on object storage skipped: ${ceph.reason}`);

const MiB = 1024 * 1024;
const buckets = ['ap-shanghai', 'ap-singapore'];

/**
 * Regions apart with buckets: Shanghai and Singapore keep their data in buckets of their own
 * gateways, Guangzhou on its replicator's disk; every region has a `storeUrl`. Each region's
 * replicator alone holds its bucket's keys and the chunk index's database; the catalog holds
 * neither (no S3 keys at all, and an index database URL that leads nowhere), so everything it
 * does with a bucket region goes through that region's store service.
 */
(ceph.ok ? describe : describe.skip)(
  'regions apart, on buckets: only a region’s replicators hold its keys',
  () => {
    let gateways: Map<string, CephRgw>;
    let s: RegionsApart;

    beforeAll(async () => {
      gateways = new Map(
        await Promise.all(
          buckets.map(
            async (region) => [region, await startCephRgw({ bucket: `sf-${region}` })] as const,
          ),
        ),
      );
      const noKeys = Object.fromEntries(
        Object.keys(process.env)
          .filter((name) => name.startsWith('AWS_') || name.startsWith('SNAPFERRY_S3_'))
          .map((name) => [name, undefined]),
      );
      s = await startRegionsApart({
        regions: ['ap-guangzhou', ...buckets],
        env: noKeys,
        regionEntry: (region) => {
          const rgw = gateways.get(region);
          return rgw
            ? {
                objectStore: {
                  endpoint: rgw.endpoint,
                  bucket: `sf-${region}`,
                  prefix: 'snapferry/',
                  region: rgw.region,
                  forcePathStyle: true,
                },
              }
            : {};
        },
        replicatorEnv: (region) => {
          const rgw = gateways.get(region);
          if (!rgw) return {};
          const names = credentialVariables(region);
          return {
            [names.accessKeyId]: rgw.accessKeyId,
            [names.secretAccessKey]: rgw.secretAccessKey,
            // Copies into Shanghai take a few seconds: long enough to stop the catalog meanwhile.
            ...(region === 'ap-shanghai' ? { REPLICATOR_MAX_BYTES_PER_SEC: String(2 * MiB) } : {}),
          };
        },
        catalogEnv: {
          // Were the catalog to open a bucket region's index itself, it would fail here.
          REPLICATOR_DATABASE_URL: 'postgres://nobody@127.0.0.1:9/no_chunk_index_here',
          SNAPFERRY_GC_GRACE_MS: '1000',
          SNAPFERRY_GC_INTERVAL_MS: '0',
          SNAPFERRY_GC_PERIOD_MS: '3000',
        },
      });
      expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    }, 240_000);
    afterAll(async () => {
      await s?.stop();
      await Promise.all([...(gateways?.values() ?? [])].map((g) => g.stop()));
    }, 60_000);

    const alice = () => s.api.as(keys.alice);
    const copyTo = async (id: string, region: string) => {
      const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: [region],
      });
      expect(answer.body.results[0].code).toBe('Success');
      const { replicationId, snapshotId } = answer.body.results[0];
      const done = await waitFor(
        async () => {
          const r = (await alice().get(`/v1/replications/${replicationId}`)).body;
          return (r.state === 'COMPLETED' || r.state === 'FAILED') && r;
        },
        { timeoutMs: 60_000, what: `the copy of ${id} to ${region}` },
      );
      expect(done).toMatchObject({ state: 'COMPLETED' });
      return snapshotId as string;
    };
    const read = async (id: string) =>
      (await alice().get(`/v1/snapshots/${id}/data`)).body as Buffer;
    const keysIn = async (region: string, prefix: string) => {
      const s3 = gateways.get(region)!.client();
      try {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: `sf-${region}`, Prefix: `snapferry/${prefix}` }),
        );
        return (page.Contents ?? []).map((o) => o.Key!.slice(`snapferry/${prefix}`.length));
      } finally {
        s3.destroy();
      }
    };

    it(
      'uploads into a bucket region through its store service, copies bucket to bucket and on to a disk region, byte-identical',
      withProcessOutput(async () => {
        const image = randomBytes(3 * MiB + 4321);
        const source = await normalSnapshot(s.api, keys.alice, {
          region: 'ap-shanghai',
          diskId: 'disk-b0a70001',
          bytes: image,
        });
        expect(await keysIn('ap-shanghai', 'manifests/')).toEqual([`${source}.json`]);
        expect(Buffer.compare(await read(source), image)).toBe(0);

        const singapore = await copyTo(source, 'ap-singapore'); // bucket -> bucket
        expect(await keysIn('ap-singapore', 'manifests/')).toEqual([`${singapore}.json`]);
        expect(await keysIn('ap-singapore', 'chunks/')).toHaveLength(13); // 256 KiB chunks
        expect(Buffer.compare(await read(singapore), image)).toBe(0);
        const guangzhou = await copyTo(singapore, 'ap-guangzhou'); // bucket -> disk
        expect(Buffer.compare(await read(guangzhou), image)).toBe(0);

        // No process keeps a bucket region's data on its disk; the catalog keeps nothing at all.
        expect(await filesUnder(s.catalogDataDir)).toEqual([]);
        for (const dir of s.dataDirs.values())
          expect((await filesUnder(dir)).filter((f) => /ap-(shanghai|singapore)/.test(f))).toEqual(
            [],
          );
      }),
      120_000,
    );

    it(
      'a deleted snapshot leaves its bucket: the catalog has the region’s store service drop it and collect its chunks',
      withProcessOutput(async () => {
        const id = await normalSnapshot(s.api, keys.alice, {
          region: 'ap-singapore',
          diskId: 'disk-b0a70002',
          bytes: randomBytes(MiB),
        });
        const before = await keysIn('ap-singapore', 'chunks/');
        expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204);
        await waitFor(
          async () => (await keysIn('ap-singapore', 'manifests/')).every((k) => !k.includes(id)),
          { timeoutMs: 30_000, what: 'the manifest to leave the bucket' },
        );
        await waitFor(
          async () => (await keysIn('ap-singapore', 'chunks/')).length === before.length - 4,
          {
            timeoutMs: 30_000,
            what: "the deleted snapshot's 4 chunks to leave the bucket",
          },
        );
      }),
      60_000,
    );
    it(
      'leftovers of a failed upload and a failed copy are swept from the bucket on the schedule, with no deletion, also after the catalog was down',
      withProcessOutput(async () => {
        const chunk = 256 * 1024;
        const baseline = (await keysIn('ap-shanghai', 'chunks/')).length;
        const leftovers = async () => (await keysIn('ap-shanghai', 'chunks/')).length - baseline;

        // An upload whose client goes away mid-body: 4 chunks reach the bucket, never a manifest.
        const created = await alice().post('/v1/snapshots', {
          region: 'ap-shanghai',
          diskId: 'disk-b0a70003',
          diskUsage: 'DATA_DISK',
          diskSizeGiB: 1,
        });
        const upload = httpRequest(
          `${s.catalog.url}/v1/snapshots/${created.body.snapshotId}/data`,
          {
            method: 'PUT',
            headers: {
              authorization: `Bearer ${keys.alice}`,
              'content-type': 'application/octet-stream',
              'content-length': 8 * chunk,
            },
          },
        );
        upload.on('error', () => undefined);
        upload.write(randomBytes(4 * chunk + 100));
        await waitFor(async () => (await leftovers()) >= 4, {
          timeoutMs: 20_000,
          what: 'the upload to store its first chunks',
        });
        upload.destroy();
        await waitFor(async () => (await leftovers()) === 0, {
          timeoutMs: 20_000,
          what: "the failed upload's chunks to be swept",
        });

        // A copy that fails (a source chunk is damaged) after storing most of its chunks; the
        // catalog is down from when it starts until well after it failed.
        const image = randomBytes(24 * chunk);
        const source = await normalSnapshot(s.api, keys.alice, {
          diskId: 'disk-b0a70004',
          bytes: image,
        });
        const last = createHash('sha256')
          .update(image.subarray(23 * chunk))
          .digest('hex');
        await writeFile(
          join(s.dataDirs.get('ap-guangzhou')!, 'ap-guangzhou', 'chunks', last.slice(0, 2), last),
          randomBytes(chunk),
        );
        const copy = await alice().post(`/v1/snapshots/${source}/copies`, {
          destinationRegions: ['ap-shanghai'],
        });
        const { replicationId } = copy.body.results[0];
        await waitFor(
          async () =>
            (await alice().get(`/v1/replications/${replicationId}`)).body.state === 'COPYING',
          { timeoutMs: 20_000, what: 'the copy under way' },
        );
        await s.catalog.kill('SIGKILL');
        const shanghai = s.replicators.get('ap-shanghai')!;
        await waitFor(async () => shanghai.linesWith('"msg":"copy failed"').length > 0, {
          timeoutMs: 30_000,
          what: 'the copy to fail',
        });
        const stored = await leftovers();
        expect(stored).toBeGreaterThanOrEqual(8);
        // Only the catalog's data reaper sweeps: a period and a grace later, they are all there.
        await sleep(3_000 + 1_000 + 1_000);
        expect(await leftovers()).toBe(stored);

        await s.catalog.start();
        await waitFor(async () => (await leftovers()) === 0, {
          timeoutMs: 20_000,
          what: "the failed copy's chunks to be swept after the catalog came back",
        });
        const failed = await waitFor(
          async () => {
            const r = (await alice().get(`/v1/replications/${replicationId}`)).body;
            return r.state === 'FAILED' && r;
          },
          { timeoutMs: 20_000, what: 'the failure recorded' },
        );
        expect(failed.error).toMatch(new RegExp(`chunk ${last}.*corrupt`));
        // The index agrees with the bucket: no row of a chunk that is not there, none half done.
        const index = new Pool({ connectionString: s.db.url });
        try {
          const { rows } = await index.query<{ state: string; n: number }>(
            `SELECT state, count(*)::int AS n FROM store_ap_shanghai.chunks GROUP BY state`,
          );
          expect(rows).toEqual([{ state: 'stored', n: baseline }]);
        } finally {
          await index.end();
        }
        const deleted = await s.api
          .as(keys.operator)
          .get('/v1/events?type=SnapshotDeleted&limit=100');
        expect(deleted.body.events.filter((e: any) => e.data.region === 'ap-shanghai')).toEqual([]);
      }),
      120_000,
    );
  },
);
