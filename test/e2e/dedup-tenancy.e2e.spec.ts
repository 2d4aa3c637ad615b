import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { manifestRoot } from '@snapferry/storage';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { expectError, registration } from '../support/e2e-helpers';

const chunkSize = 64 * 1024; // the harness's SNAPFERRY_CHUNK_SIZE
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function manifestOf(image: Buffer) {
  const chunks = [];
  for (let offset = 0; offset < image.length; offset += chunkSize) {
    const bytes = image.subarray(offset, Math.min(offset + chunkSize, image.length));
    chunks.push({ digest: sha256(bytes), size: bytes.length });
  }
  return { chunkSize, imageDigest: sha256(image), root: manifestRoot(chunks), chunks };
}

/**
 * Dedup never crosses accounts: a region stores identical bytes once, but an account may skip
 * sending a chunk only when it already references that chunk there itself. Whoever learns
 * another account's chunk digests learns nothing from the upload answers and reads nothing.
 */
describe('dedup between accounts', () => {
  let t: TestStack;
  // alice's image: bob learns its chunk digests (say, from a leaked manifest) but not its bytes.
  const image = randomBytes(6 * chunkSize + 123);
  const manifest = manifestOf(image);
  let alicesSnapshot: string;

  beforeAll(async () => {
    t = await startTestStack();
    await t.api.as(keys.operator).put('/v1/accounts/bob/beta');
    alicesSnapshot = await upload(keys.alice, image, 'disk-tenant01');
  });
  afterAll(() => t?.stop());

  const register = async (key: string, diskId: string) => {
    const created = await t.api.as(key).post('/v1/snapshots', registration({ diskId }));
    expect(created.status).toBe(201);
    return created.body.snapshotId as string;
  };
  const declare = (key: string, id: string, body = manifest) =>
    t.api.as(key).post(`/v1/snapshots/${id}/data/manifest`, body);
  const putChunk = (key: string, id: string, digest: string, bytes: Buffer) =>
    t.api.as(key).put(`/v1/snapshots/${id}/data/chunks/${digest}`, bytes);
  const chunkAt = (data: Buffer, digest: string) => {
    const index = manifestOf(data).chunks.findIndex((c) => c.digest === digest);
    return data.subarray(index * chunkSize, (index + 1) * chunkSize);
  };
  /** The whole incremental upload; returns the snapshot id. */
  async function upload(key: string, data: Buffer, diskId: string): Promise<string> {
    const id = await register(key, diskId);
    const first = await declare(key, id, manifestOf(data));
    if (first.body.state === 'NORMAL') return id; // nothing to send: committed at once
    for (const digest of first.body.missing as string[])
      expect((await putChunk(key, id, digest, chunkAt(data, digest))).status).toBe(201);
    expect((await declare(key, id, manifestOf(data))).body.state).toBe('NORMAL');
    return id;
  }
  const chunkFiles = async (region: string) => {
    const dir = join(t.dataDir, region, 'chunks');
    const prefixes = await readdir(dir).catch(() => []);
    const names = await Promise.all(prefixes.map((p) => readdir(join(dir, p))));
    return names.flat().filter((name) => /^[0-9a-f]{64}$/.test(name));
  };
  const copyTo = async (key: string, id: string, region: string) => {
    const answer = await t.api.as(key).post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: [region],
    });
    expect(answer.body.results[0].code).toBe('Success');
    const target = answer.body.results[0].snapshotId as string;
    await waitFor(
      async () => (await t.api.as(key).get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      { what: `copy ${target} NORMAL` },
    );
    const jobs = await t.api.as(key).get(`/v1/replications?sourceSnapshotId=${id}`);
    const job = (jobs.body.replications as { targetSnapshotId: string }[]).find(
      (r) => r.targetSnapshotId === target,
    );
    return { target, job: job as unknown as { chunksCopied: number; chunksSkipped: number } };
  };

  it('another account that declares the same digests gets every one back as missing', async () => {
    const bobs = await register(keys.bob, 'disk-tenant02');
    const answer = await declare(keys.bob, bobs);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      state: 'CREATING',
      chunksTotal: manifest.chunks.length,
      chunksMissing: manifest.chunks.length,
      bytesMissing: image.length,
    });
    expect([...answer.body.missing].sort()).toEqual(manifest.chunks.map((c) => c.digest).sort());
    // Declaring again (the commit path) still refuses to commit without the bytes.
    const again = await declare(keys.bob, bobs);
    expect(again.body).toMatchObject({ state: 'CREATING', chunksMissing: manifest.chunks.length });
    expect((await t.api.as(keys.bob).get(`/v1/snapshots/${bobs}`)).body.state).toBe('CREATING');
  });

  it('reads nothing of the other account by any path', async () => {
    const bobs = await register(keys.bob, 'disk-tenant03');
    await declare(keys.bob, bobs);
    const [first] = manifest.chunks;
    // Bytes that are not the chunk's are refused and store nothing for bob.
    expectError(
      await putChunk(keys.bob, bobs, first!.digest, randomBytes(first!.size)),
      400,
      'InvalidParameter.ChunkDigestMismatch',
    );
    expect((await declare(keys.bob, bobs)).body.chunksMissing).toBe(manifest.chunks.length);
    // alice's snapshot, its data and a copy of it are not bob's to see.
    expectError(await t.api.as(keys.bob).get(`/v1/snapshots/${alicesSnapshot}`), 404);
    expectError(await t.api.as(keys.bob).get(`/v1/snapshots/${alicesSnapshot}/data`), 404);
    expectError(
      await t.api.as(keys.bob).post(`/v1/snapshots/${alicesSnapshot}/copies`, {
        destinationRegions: ['ap-shanghai'],
      }),
      404,
    );
    // bob's snapshot never became readable.
    expectError(await t.api.as(keys.bob).get(`/v1/snapshots/${bobs}/data`), 409);
  });

  it('two accounts uploading the same image still store one copy of each chunk per region', async () => {
    const before = new Set(await chunkFiles('ap-guangzhou'));
    for (const c of manifest.chunks) expect(before.has(c.digest)).toBe(true);
    const bobs = await upload(keys.bob, image, 'disk-tenant04'); // sends every chunk (201 each)
    const read = await t.api.as(keys.bob).get(`/v1/snapshots/${bobs}/data`);
    expect(Buffer.compare(read.body, image)).toBe(0);
    expect(new Set(await chunkFiles('ap-guangzhou'))).toEqual(before);
    // Now bob references them: his next snapshot of the same bytes skips them all.
    const next = await register(keys.bob, 'disk-tenant04');
    expect((await declare(keys.bob, next)).body).toMatchObject({ missing: [], state: 'NORMAL' });
  });

  it('a streaming upload counts for its own account only once its bytes arrived', async () => {
    const other = randomBytes(3 * chunkSize);
    await upload(keys.alice, other, 'disk-tenant05');
    const bobs = await register(keys.bob, 'disk-tenant06');
    expect((await declare(keys.bob, bobs, manifestOf(other))).body.chunksMissing).toBe(3);
    const streamed = await register(keys.bob, 'disk-tenant06');
    expect((await t.api.as(keys.bob).put(`/v1/snapshots/${streamed}/data`, other)).status).toBe(
      200,
    );
    expect((await declare(keys.bob, bobs, manifestOf(other))).body).toMatchObject({
      missing: [],
      state: 'NORMAL',
    });
  });

  it('a copy skips only chunks its own account already has in the target region', async () => {
    const data = randomBytes(4 * chunkSize);
    const alices = await upload(keys.alice, data, 'disk-tenant07');
    const first = await copyTo(keys.alice, alices, 'ap-shanghai');
    expect(first.job).toMatchObject({ chunksCopied: 4, chunksSkipped: 0 });
    const shanghaiBefore = new Set(await chunkFiles('ap-shanghai'));

    // bob has the same bytes in Guangzhou (sent them himself) and copies them to Shanghai,
    // where alice's copy already holds them: everything is transferred and verified for bob,
    // and the region still keeps one copy.
    const bobs = await upload(keys.bob, data, 'disk-tenant08');
    const bobsCopy = await copyTo(keys.bob, bobs, 'ap-shanghai');
    expect(bobsCopy.job).toMatchObject({ chunksCopied: 4, chunksSkipped: 0 });
    expect(new Set(await chunkFiles('ap-shanghai'))).toEqual(shanghaiBefore);
    const read = await t.api.as(keys.bob).get(`/v1/snapshots/${bobsCopy.target}/data`);
    expect(Buffer.compare(read.body, data)).toBe(0);

    // alice's next copy of the same disk skips what she already has there.
    const again = await upload(keys.alice, data, 'disk-tenant07');
    expect((await copyTo(keys.alice, again, 'ap-shanghai')).job).toMatchObject({
      chunksCopied: 0,
      chunksSkipped: 4,
    });
  });
});
