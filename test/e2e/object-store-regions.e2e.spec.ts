import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { defaultRegionCatalog } from '@snapferry/domain';
import { credentialVariables } from '@snapferry/storage';
import { type CephRgw, cephRgwAvailable, startCephRgw, waitFor } from '@snapferry/testing';
import { startReplicator } from '../../apps/replicator/src/start-replicator';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { filesUnder } from '../support/regions-apart';

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`object-storage region tests skipped: ${ceph.reason}`);

/**
 * Two regions on buckets of their own Ceph gateways (Shanghai, Singapore) beside a filesystem
 * region (Guangzhou), one host: the catalog and the replicator reach every bucket directly.
 */
(ceph.ok ? describe : describe.skip)('regions on object storage (Ceph RGW)', () => {
  let gateways: Map<string, CephRgw>;
  let t: TestStack;
  let regionsFile: string;
  let dir: string;

  beforeAll(async () => {
    const buckets = ['ap-shanghai', 'ap-singapore'];
    gateways = new Map(
      await Promise.all(
        buckets.map(
          async (region) => [region, await startCephRgw({ bucket: `sf-${region}` })] as const,
        ),
      ),
    );
    dir = await mkdtemp(join(tmpdir(), 'snapferry-s3-e2e-'));
    regionsFile = join(dir, 'regions.json');
    await writeFile(
      regionsFile,
      JSON.stringify({
        ...defaultRegionCatalog,
        regions: defaultRegionCatalog.regions.map((r) => {
          const rgw = gateways.get(r.id);
          return rgw
            ? {
                ...r,
                objectStore: {
                  endpoint: rgw.endpoint,
                  bucket: `sf-${r.id}`,
                  prefix: 'snapferry/',
                  region: rgw.region,
                  forcePathStyle: true,
                },
              }
            : r;
        }),
      }),
    );
    const env: NodeJS.ProcessEnv = { SNAPFERRY_REGIONS_FILE: regionsFile };
    for (const [region, rgw] of gateways) {
      const names = credentialVariables(region);
      env[names.accessKeyId] = rgw.accessKeyId;
      env[names.secretAccessKey] = rgw.secretAccessKey;
    }
    t = await startTestStack({
      catalogEnv: env,
      replicatorEnv: { REPLICATOR_REGIONS: 'ap-guangzhou,ap-shanghai,ap-singapore' },
    });
  }, 240_000);
  afterAll(async () => {
    await t?.stop();
    await Promise.all([...(gateways?.values() ?? [])].map((g) => g.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const alice = () => t.api.as(keys.alice);
  const copyTo = async (id: string, region: string) => {
    const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: [region],
    });
    expect(answer.body.results[0].code).toBe('Success');
    const target = answer.body.results[0].snapshotId as string;
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      {
        timeoutMs: 60_000,
        what: `copy ${target} NORMAL`,
      },
    );
    return target;
  };
  const read = async (id: string) => (await alice().get(`/v1/snapshots/${id}/data`)).body as Buffer;
  const objectsIn = async (region: string, prefix: string) => {
    const rgw = gateways.get(region)!;
    const s3 = rgw.client();
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    try {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: `sf-${region}`, Prefix: `snapferry/${prefix}` }),
      );
      return (page.Contents ?? []).map((o) => o.Key!);
    } finally {
      s3.destroy();
    }
  };

  it('uploads into a bucket, copies bucket to bucket and bucket to filesystem and back: byte-identical', async () => {
    const image = randomBytes(5 * 64 * 1024 + 99);
    const shanghai = await normalSnapshot(t.api, keys.alice, {
      region: 'ap-shanghai',
      diskId: 'disk-b0c7e001',
      bytes: image,
    });
    expect(await objectsIn('ap-shanghai', 'manifests/')).toEqual([
      `snapferry/manifests/${shanghai}.json`,
    ]);
    expect(Buffer.compare(await read(shanghai), image)).toBe(0);

    const singapore = await copyTo(shanghai, 'ap-singapore'); // bucket -> bucket
    expect(Buffer.compare(await read(singapore), image)).toBe(0);
    expect(await objectsIn('ap-singapore', 'chunks/')).toHaveLength(6);

    const guangzhou = await copyTo(shanghai, 'ap-guangzhou'); // bucket -> filesystem
    expect(Buffer.compare(await read(guangzhou), image)).toBe(0);

    const image2 = randomBytes(3 * 64 * 1024);
    const fromDisk = await normalSnapshot(t.api, keys.alice, {
      diskId: 'disk-b0c7e002',
      bytes: image2,
    });
    const toBucket = await copyTo(fromDisk, 'ap-shanghai'); // filesystem -> bucket
    expect(Buffer.compare(await read(toBucket), image2)).toBe(0);
    // The buckets' regions never touched the data directory.
    expect((await filesUnder(t.dataDir)).some((f) => f.includes('ap-shanghai'))).toBe(false);
  });

  it('refuses to start a service whose bucket refuses its keys, naming the region, the endpoint and the S3 error', async () => {
    const rgw = gateways.get('ap-singapore')!;
    const names = credentialVariables('ap-singapore');
    const attempt = startReplicator({
      ...t.env,
      SNAPFERRY_REGIONS_FILE: regionsFile,
      REPLICATOR_REGIONS: 'ap-singapore',
      REPLICATOR_PORT: '0',
      [names.accessKeyId]: rgw.accessKeyId,
      [names.secretAccessKey]: 'not-the-secret-key-of-this-user-000000000',
    });
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `region ap-singapore: object store unusable: .*${rgw.endpoint.replace(/[.:/]/g, '.')}.*SignatureDoesNotMatch`,
      ),
    );
  });

  it('keeps the chunk index in the regions database, one schema per bucket region', async () => {
    const pool = new Pool({ connectionString: t.env['REPLICATOR_DATABASE_URL'] });
    try {
      const { rows } = await pool.query<{ schema_name: string }>(
        `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'store_%' ORDER BY 1`,
      );
      expect(rows.map((r) => r.schema_name)).toEqual(['store_ap_shanghai', 'store_ap_singapore']);
    } finally {
      await pool.end();
    }
  });
});
