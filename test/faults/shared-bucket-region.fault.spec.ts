import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentialVariables } from '@snapferry/storage';
import {
  BrokerProbe,
  type CephRgw,
  cephRgwAvailable,
  createTestBroker,
  createTestDatabase,
  startCephRgw,
  type TestBroker,
  type TestDatabase,
  waitFor,
} from '@snapferry/testing';
import { apiClient, apiKeysEnv, keys, normalSnapshot } from '../support/catalog-harness';
import { expectOnlyTarget, redeliverRequest } from '../support/copy-checks';
import { ServiceProcess, serviceEnv, withProcessOutput } from '../support/process-harness';
import { filesUnder } from '../support/regions-apart';
import { writeRegionsFile } from '../support/regions-file';

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`several replicators on one bucket skipped: ${ceph.reason}`);

// Long enough that a claim is not lost to a loaded machine's stalls; short for a takeover.
const leaseMs = 10_000;
const copyStarted = '"msg":"copy started"';
const buckets = { 'ap-guangzhou': 'sf-guangzhou', 'ap-shanghai': 'sf-shanghai' } as const;

/**
 * Two replicator processes serving Shanghai, whose data is in a bucket, as are Guangzhou's
 * (the source): each process has a data directory of its own, so all they share is the bucket,
 * the regions' database (chunk index, jobs and their claims) and the broker's queues.
 */
(ceph.ok ? describe : describe.skip)(
  'two replicators of a region on one bucket, nothing shared on disk',
  () => {
    let rgw: CephRgw;
    let db: TestDatabase;
    let broker: TestBroker;
    let root: string;
    let catalog: ServiceProcess;
    let replicators: ServiceProcess[];
    let probe: BrokerProbe;
    let api: ReturnType<typeof apiClient>;

    beforeAll(async () => {
      [rgw, db, broker] = await Promise.all([
        startCephRgw(),
        createTestDatabase('sf_bucket2'),
        createTestBroker('sf_bucket2'),
      ]);
      for (const bucket of Object.values(buckets)) await rgw.createBucket(bucket);
      root = await mkdtemp(join(tmpdir(), 'snapferry-bucket2-'));
      const regionsFile = await writeRegionsFile(
        root,
        Object.fromEntries(
          Object.entries(buckets).map(([id, bucket]) => [
            id,
            {
              objectStore: {
                endpoint: rgw.endpoint,
                bucket,
                prefix: '',
                region: rgw.region,
                forcePathStyle: true,
              },
            },
          ]),
        ),
      );
      const env: NodeJS.ProcessEnv = {
        ...serviceEnv(db, broker),
        SNAPFERRY_API_KEYS: apiKeysEnv,
        SNAPFERRY_REGIONS_FILE: regionsFile,
        SNAPFERRY_CHUNK_SIZE: String(64 * 1024),
        LOG_LEVEL: process.env['FAULT_LOG_LEVEL'] ?? 'info',
      };
      for (const region of Object.keys(buckets)) {
        const names = credentialVariables(region);
        env[names.accessKeyId] = rgw.accessKeyId;
        env[names.secretAccessKey] = rgw.secretAccessKey;
      }
      catalog = new ServiceProcess('catalog', {
        ...env,
        SNAPFERRY_DATA_DIR: join(root, 'catalog'),
      });
      replicators = ['a', 'b'].map(
        (name) =>
          new ServiceProcess('replicator', {
            ...env,
            SNAPFERRY_DATA_DIR: join(root, `replicator-${name}`),
            REPLICATOR_REGIONS: 'ap-shanghai',
            // 3 MiB at 128 KiB/s per process: about 24 s per copy.
            REPLICATOR_MAX_BYTES_PER_SEC: String(128 * 1024),
            REPLICATOR_MAX_CONCURRENT_COPIES: '2',
            REPLICATOR_CLAIM_LEASE_MS: String(leaseMs),
          }),
      );
      await catalog.start();
      await Promise.all(replicators.map((r) => r.start()));
      probe = await BrokerProbe.open(broker.url);
      api = apiClient(catalog.url);
      expect((await api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    }, 240_000);
    afterAll(async () => {
      await probe?.close();
      await Promise.all(
        [catalog, ...(replicators ?? [])]
          .filter((p) => p?.running)
          .map((p) => p.kill('SIGKILL').catch(() => undefined)),
      );
      await db?.drop();
      await broker?.cleanup();
      await rgw?.stop();
      if (root) await rm(root, { recursive: true, force: true });
    }, 60_000);

    const alice = () => api.as(keys.alice);
    const replication = async (id: string) => (await alice().get(`/v1/replications/${id}`)).body;
    const upload = (diskId: string, image: Buffer<ArrayBuffer>) =>
      normalSnapshot(api, keys.alice, { diskId, bytes: image });
    const copy = async (source: string) => {
      const answer = await alice().post(`/v1/snapshots/${source}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      expect(answer.status).toBe(202);
      return {
        source,
        ...(answer.body.results[0] as { replicationId: string; snapshotId: string }),
      };
    };
    /** The processes that logged `msg` for this replication. */
    const said = (msg: string, replicationId: string) =>
      replicators.filter((r) =>
        r.linesWith(msg).some((line) => line.includes(`"replicationId":"${replicationId}"`)),
      );
    const linesOf = (r: ServiceProcess, msg: string, replicationId: string) =>
      r.linesWith(msg).filter((line) => line.includes(`"replicationId":"${replicationId}"`));
    const manifests = async () => {
      const s3 = rgw.client();
      try {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: buckets['ap-shanghai'], Prefix: 'manifests/' }),
        );
        return (page.Contents ?? []).map((o) => o.Key!.slice('manifests/'.length));
      } finally {
        s3.destroy();
      }
    };
    /** Delivers a replication's request again, as the relay or a lost channel may. */
    const redeliver = (replicationId: string, times: number) =>
      redeliverRequest(api, probe, replicationId, times);

    it(
      'two copies run side by side, one per process and once each however often they are delivered; a cancel reaches whichever process holds the copy',
      withProcessOutput(async () => {
        const sources = [
          await upload('disk-b2b20001', randomBytes(3 * 1024 * 1024)),
          await upload('disk-b2b20002', randomBytes(3 * 1024 * 1024)),
        ];
        const copies = await Promise.all(sources.map(copy));
        await waitFor(
          async () =>
            (await Promise.all(copies.map((c) => replication(c.replicationId)))).every(
              (r) => r.state === 'COPYING' && r.percent > 5 && r.percent < 30,
            ),
          { timeoutMs: 30_000, what: 'both copies running' },
        );
        const holders = copies.map((c) => said(copyStarted, c.replicationId));
        expect(holders.map((h) => h.length)).toEqual([1, 1]);
        // The region's copies are spread over its processes (each took one delivery).
        expect(holders[0]![0]).not.toBe(holders[1]![0]);

        for (const c of copies) await redeliver(c.replicationId, 3);
        await sleep(2_000);
        for (const c of copies) {
          expect(said(copyStarted, c.replicationId)).toHaveLength(1);
          expect((await replication(c.replicationId)).attempts).toBe(1);
        }

        // A third request waits (the region runs its limit of two copies; the processes'
        // prefetch is taken by the deliveries above, which wait for the copies' claims).
        const waiting = await copy(await upload('disk-b2b20004', randomBytes(1024 * 1024)));

        // A region's cancels go round its processes in turn, so in the order c1, the waiting
        // one, c2, one of the running copies is cancelled through the process that does not
        // hold it (c1's if the first cancel is not taken by its holder; else the third cancel
        // goes to c1's holder, which does not hold c2). That process records the cancel, and
        // the holder sees it at its next check.
        const taken = new Map<string, { taker: ServiceProcess; byHolder: boolean }>();
        for (const c of [copies[0]!, waiting, copies[1]!]) {
          const holder = said(copyStarted, c.replicationId)[0];
          // Deleting a target that is still copying (or waiting to) cancels its copy.
          expect((await alice().delete(`/v1/snapshots/${c.snapshotId}`)).status).toBe(204);
          const taker = await waitFor(() => said('"msg":"cancel requested"', c.replicationId)[0], {
            timeoutMs: 10_000,
            what: 'a replicator to take the cancel',
          });
          taken.set(c.replicationId, { taker, byHolder: taker === holder });
        }
        for (const c of [...copies, waiting])
          await waitFor(async () => (await replication(c.replicationId)).state === 'CANCELLED', {
            timeoutMs: 30_000,
            what: `${c.replicationId} cancelled`,
          });
        expect(copies.some((c) => !taken.get(c.replicationId)!.byHolder)).toBe(true);
        for (const c of copies) {
          const { taker, byHolder } = taken.get(c.replicationId)!;
          expect((await replication(c.replicationId)).percent).toBeLessThan(100);
          const [line] = linesOf(taker, '"msg":"cancel requested"', c.replicationId);
          expect(JSON.parse(line!.replace(/^\S+ /, ''))).toMatchObject({ copyRunsHere: byHolder });
        }
        expect(await manifests()).toEqual([]);
        expect(replicators.every((r) => r.running)).toBe(true);
      }),
      120_000,
    );

    it(
      'a SIGKILLed process’s copy is taken over by the other after its lease and finished once, byte-identical, resuming from what it stored',
      withProcessOutput(async () => {
        const image = randomBytes(3 * 1024 * 1024);
        const source = await upload('disk-b2b20003', image);
        const { replicationId, snapshotId } = await copy(source);
        await waitFor(
          async () => {
            const r = await replication(replicationId);
            return r.state === 'COPYING' && r.percent > 10 && r.percent < 50;
          },
          { timeoutMs: 30_000, what: 'the copy running' },
        );
        const [holder] = said(copyStarted, replicationId);
        const other = replicators.find((r) => r !== holder)!;
        expect((await holder!.kill('SIGKILL')).signal).toBe('SIGKILL');
        const done = await waitFor(
          async () => {
            const r = await replication(replicationId);
            return r.state === 'COMPLETED' && r;
          },
          { timeoutMs: 60_000, what: 'the copy to complete in the other process' },
        );
        expect(
          linesOf(
            other,
            '"msg":"took over a copy whose replicator stopped renewing its claim"',
            replicationId,
          ),
        ).toHaveLength(1);
        expect(linesOf(other, copyStarted, replicationId)).toHaveLength(1);
        expect(done).toMatchObject({ attempts: 2, bytesDone: image.length });
        expect(done.chunksSkipped).toBeGreaterThan(0); // what the killed process had stored
        expect(done.bytesTransferred).toBeLessThan(image.length);

        await expectOnlyTarget(api, source, snapshotId);
        expect((await manifests()).filter((m) => m === `${snapshotId}.json`)).toHaveLength(1);
        const back = await alice().get(`/v1/snapshots/${snapshotId}/data`);
        expect(Buffer.compare(back.body, image)).toBe(0);

        // Every byte went to the buckets: no process kept any region's data on its disk.
        expect(await filesUnder(root)).toEqual([join(root, 'regions.json')]);
        await holder!.start(); // back, for a clean stop
      }),
      120_000,
    );
  },
);
