import { createHash, randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { EMPTY_SHA256, manifestRoot, signRegionRequest } from '@snapferry/storage';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import { refusedStart, withProcessOutput } from '../support/process-harness';
import {
  filesUnder,
  regionSecret,
  startRegionsApart,
  type RegionsApart,
} from '../support/regions-apart';

const MiB = 1024 * 1024;

// Every region its own replicator process, data directory and store service (storeUrl);
// the catalog's own data directory must stay empty: it touches no store itself.
describe('regions apart: each region its own process and store, reached over HTTP', () => {
  let s: RegionsApart;
  beforeAll(async () => {
    s = await startRegionsApart({
      regions: ['ap-guangzhou', 'ap-shanghai', 'ap-singapore'],
      replicatorEnv: (region) => ({
        ...(region === 'ap-shanghai' ? { REPLICATOR_MAX_BYTES_PER_SEC: String(MiB) } : {}),
        // Singapore was deployed with the wrong secret.
        ...(region === 'ap-singapore'
          ? { SNAPFERRY_REGION_SECRET: 'not-the-region-secret-01' }
          : {}),
      }),
    });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  }, 90_000);
  afterAll(async () => s?.stop(), 60_000);

  const alice = () => s.api.as(keys.alice);
  const copy = async (id: string, region: string) => {
    const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: [region],
    });
    expect(answer.body.results[0].code).toBe('Success');
    return answer.body.results[0] as { replicationId: string; snapshotId: string };
  };
  const replication = async (id: string) => (await alice().get(`/v1/replications/${id}`)).body;

  it(
    'uploads into the source region over HTTP, copies across, reads back identical; no process opened another region',
    withProcessOutput(async () => {
      const image = randomBytes(3 * MiB + 12345);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image, diskId: 'disk-a9a70001' });
      const { replicationId, snapshotId } = await copy(id, 'ap-shanghai');
      await waitFor(async () => (await replication(replicationId)).state === 'COMPLETED', {
        timeoutMs: 30_000,
        what: 'the copy to complete',
      });
      const back = await alice().get(`/v1/snapshots/${snapshotId}/data`);
      expect(back.status).toBe(200);
      expect(Buffer.compare(back.body, image)).toBe(0);

      expect(await filesUnder(s.catalogDataDir)).toEqual([]);
      // Clients see the regions, not where their stores answer.
      expect(JSON.stringify((await alice().get('/v1/regions')).body)).not.toContain('storeUrl');
      const regionsOf = async (region: string) =>
        new Set(
          (await filesUnder(s.dataDirs.get(region)!)).map(
            (f) => f.slice(s.dataDirs.get(region)!.length + 1).split('/')[0],
          ),
        );
      expect(await regionsOf('ap-guangzhou')).toEqual(new Set(['ap-guangzhou']));
      expect(await regionsOf('ap-shanghai')).toEqual(new Set(['ap-shanghai']));
      expect(basename(s.dataDirs.get('ap-guangzhou')!)).not.toBe(
        basename(s.dataDirs.get('ap-shanghai')!),
      );
    }),
    60_000,
  );

  it(
    'an incremental upload into a region reached over HTTP: only what the account lacks there is sent, then it commits',
    withProcessOutput(async () => {
      const chunkSize = (await alice().get('/v1/regions')).body.chunkSize as number;
      const image = randomBytes(3 * chunkSize + 77);
      const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
      const chunks = [0, 1, 2, 3].map((i) => {
        const bytes = image.subarray(i * chunkSize, (i + 1) * chunkSize);
        return { digest: sha256(bytes), size: bytes.length, bytes };
      });
      const manifest = {
        chunkSize,
        imageDigest: sha256(image),
        root: manifestRoot(chunks.map(({ digest, size }) => ({ digest, size }))),
        chunks: chunks.map(({ digest, size }) => ({ digest, size })),
      };
      const upload = async (key: string, diskId: string) => {
        const created = await s.api.as(key).post('/v1/snapshots', {
          region: 'ap-guangzhou',
          diskId,
          diskUsage: 'DATA_DISK',
          diskSizeGiB: 1,
        });
        const id = created.body.snapshotId as string;
        const first = await s.api.as(key).post(`/v1/snapshots/${id}/data/manifest`, manifest);
        expect(first.status).toBe(200);
        for (const digest of first.body.missing as string[]) {
          const chunk = chunks.find((c) => c.digest === digest)!;
          const put = await s.api
            .as(key)
            .put(`/v1/snapshots/${id}/data/chunks/${digest}`, chunk.bytes);
          expect(put.status).toBe(201);
        }
        // Nothing missing: the first declaration committed already.
        const done =
          first.body.state === 'NORMAL'
            ? first
            : await s.api.as(key).post(`/v1/snapshots/${id}/data/manifest`, manifest);
        expect(done.body).toMatchObject({ state: 'NORMAL' });
        const back = await s.api.as(key).get(`/v1/snapshots/${id}/data`);
        expect(Buffer.compare(back.body, image)).toBe(0);
        return first.body.chunksMissing as number;
      };
      expect(await upload(keys.alice, 'disk-a9a70009')).toBe(4);
      // The same bytes for another account: the region holds them, bob must still send them.
      expect(await upload(keys.bob, 'disk-a9a70010')).toBe(4);
      expect(await upload(keys.alice, 'disk-a9a70009')).toBe(0);
      expect(await filesUnder(s.catalogDataDir)).toEqual([]);
    }),
    60_000,
  );

  it(
    'a copy into a region with the wrong secret fails with a reason naming the authentication failure',
    withProcessOutput(async () => {
      const id = await normalSnapshot(s.api, keys.alice, {
        bytes: randomBytes(MiB),
        diskId: 'disk-a9a70002',
      });
      const { replicationId, snapshotId } = await copy(id, 'ap-singapore');
      const failed = await waitFor(
        async () => {
          const r = await replication(replicationId);
          return r.state === 'FAILED' && r;
        },
        { timeoutMs: 30_000, what: 'the copy to fail' },
      );
      expect(failed.error).toMatch(/ap-guangzhou.*refused authentication.*SNAPFERRY_REGION_SECRET/);
      expect((await alice().get(`/v1/snapshots/${snapshotId}`)).body.state).toBe('FAILED');
    }),
    60_000,
  );

  it(
    'the source region down mid-copy: the copy waits, resumes when it is back, and moves each chunk once',
    withProcessOutput(async () => {
      const image = randomBytes(6 * MiB);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image, diskId: 'disk-a9a70003' });
      const { replicationId, snapshotId } = await copy(id, 'ap-shanghai');
      await waitFor(
        async () => {
          const r = await replication(replicationId);
          return r.state === 'COPYING' && r.percent >= 10;
        },
        { timeoutMs: 20_000, what: 'the copy under way' },
      );
      const source = s.replicators.get('ap-guangzhou')!;
      await source.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect((await replication(replicationId)).state).toBe('COPYING');
      await source.start();
      const done = await waitFor(
        async () => {
          const r = await replication(replicationId);
          return r.state === 'COMPLETED' && r;
        },
        { timeoutMs: 60_000, what: 'the copy to complete after the source came back' },
      );
      expect(done.bytesCopied).toBe(image.length);
      expect(done.attempts).toBe(1);
      const back = await alice().get(`/v1/snapshots/${snapshotId}/data`);
      expect(Buffer.compare(back.body, image)).toBe(0);
    }),
    120_000,
  );

  it("the store routes open to the regions' signature only: nothing read or written otherwise", async () => {
    const store = s.storeUrls.get('ap-guangzhou')!;
    const bytes = randomBytes(1024);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const path = `/v1/store/ap-guangzhou/chunks/${digest}?accountId=alice&snapshotId=snap-signed01`;
    const put = (headers: Record<string, string>) =>
      fetch(`${store}${path}`, { method: 'PUT', headers, body: bytes });
    const refusals = [
      await put({}),
      await put({ authorization: `Bearer ${keys.operator}` }),
      await put(
        signRegionRequest('a-wrong-region-secret', { method: 'PUT', path, contentSha256: digest }),
      ),
      await put(
        signRegionRequest(
          regionSecret,
          { method: 'PUT', path, contentSha256: digest },
          Date.now() - 6 * 60_000,
        ),
      ),
    ];
    for (const answer of refusals) {
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        'AuthFailure.RegionSignature',
      );
    }
    const unsignedRead = await fetch(`${store}${path}`);
    expect(unsignedRead.status).toBe(401);
    // The same chunk, signed: written (so the refusals above really wrote nothing).
    const signed = await put(
      signRegionRequest(regionSecret, { method: 'PUT', path, contentSha256: digest }),
    );
    expect(signed.status).toBe(201);
    const documented = await fetch(`${store}/v1/store/openapi.json`);
    expect(documented.status).toBe(200);
  });

  it('a store call replayed with the same headers is refused (401) and changes nothing', async () => {
    const store = s.storeUrls.get('ap-guangzhou')!;
    const bytes = randomBytes(1024);
    const id = await normalSnapshot(s.api, keys.alice, { bytes, diskId: 'disk-a9a70004' });
    const path = `/v1/store/ap-guangzhou/manifests/${id}`;
    const signed = (method: string, body?: Buffer) =>
      signRegionRequest(regionSecret, {
        method,
        path,
        contentSha256: body ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256,
      });
    const call = (method: string, headers: Record<string, string>, body?: Buffer) =>
      fetch(`${store}${path}`, { method, headers, ...(body ? { body } : {}) });
    const read = await call('GET', signed('GET'));
    expect(read.status).toBe(200);
    const manifest = Buffer.from(await read.arrayBuffer());

    // A delete captured on the way: carried out once…
    const captured = signed('DELETE');
    expect(await (await call('DELETE', captured)).json()).toEqual({ deleted: true });
    // …the manifest is written again (a new call, a new signature; its account sends its
    // chunk again first, since deleting the manifest ended the account's reference to it)…
    const digest = createHash('sha256').update(bytes).digest('hex');
    const chunkPath = `/v1/store/ap-guangzhou/chunks/${digest}?accountId=alice&snapshotId=${id}`;
    const resent = await fetch(`${store}${chunkPath}`, {
      method: 'PUT',
      headers: signRegionRequest(regionSecret, {
        method: 'PUT',
        path: chunkPath,
        contentSha256: digest,
      }),
      body: bytes,
    });
    expect(resent.status).toBe(201);
    expect((await call('PUT', signed('PUT', manifest), manifest)).status).toBe(204);
    // …and the captured delete, sent again exactly as it was, deletes nothing.
    const replayed = await call('DELETE', captured);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe(
      'AuthFailure.SignatureReplayed',
    );
    const after = await call('GET', signed('GET'));
    expect(after.status).toBe(200);
    expect(Buffer.from(await after.arrayBuffer()).equals(manifest)).toBe(true);
    // Two identical legitimate calls in the same millisecond differ by their nonce: both pass.
    const now = Date.now();
    const twins = await Promise.all([
      call(
        'GET',
        signRegionRequest(regionSecret, { method: 'GET', path, contentSha256: EMPTY_SHA256 }, now),
      ),
      call(
        'GET',
        signRegionRequest(regionSecret, { method: 'GET', path, contentSha256: EMPTY_SHA256 }, now),
      ),
    ]);
    expect(twins.map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('services refuse to start when regions have a storeUrl and no secret is set', async () => {
    const { SNAPFERRY_REGION_SECRET: _secret, ...withoutSecret } = s.env;
    for (const name of ['catalog', 'replicator'] as const) {
      const refused = await refusedStart(name, {
        ...withoutSecret,
        PORT: '0',
        REPLICATOR_PORT: '0',
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/SNAPFERRY_REGION_SECRET is required/);
    }
  });
});
