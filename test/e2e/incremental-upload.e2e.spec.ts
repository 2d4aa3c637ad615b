import { createHash, randomBytes } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { waitFor } from '@snapferry/testing';
import { manifestRoot } from '@snapferry/storage';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { eventCount, expectError, registered } from '../support/e2e-helpers';

const chunkSize = 64 * 1024; // the harness's SNAPFERRY_CHUNK_SIZE
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What a client declares for an image: its chunks as the region chunks, the root and image digest. */
function manifestOf(image: Buffer, size = chunkSize) {
  const chunks = [];
  for (let offset = 0; offset < image.length; offset += size) {
    const bytes = image.subarray(offset, Math.min(offset + size, image.length));
    chunks.push({ digest: sha256(bytes), size: bytes.length });
  }
  return { chunkSize: size, imageDigest: sha256(image), root: manifestRoot(chunks), chunks };
}
const chunkOf = (image: Buffer, index: number) =>
  image.subarray(index * chunkSize, (index + 1) * chunkSize);

/** The incremental upload against the real stack: declare, send what is missing, commit. */
describe('incremental upload (manifest + missing chunks)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);
  const register = (over: Record<string, unknown> = {}) => registered(t.api, over);
  const declare = (id: string, manifest: unknown, key = keys.alice) =>
    t.api.as(key).post(`/v1/snapshots/${id}/data/manifest`, manifest);
  const putChunk = (id: string, digest: string, bytes: Buffer) =>
    alice().put(`/v1/snapshots/${id}/data/chunks/${digest}`, bytes);
  const chunkFile = (region: string, digest: string) =>
    join(t.dataDir, region, 'chunks', digest.slice(0, 2), digest);
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  /** Declares, sends every missing chunk, declares again: the committed answer. */
  const uploadAll = async (id: string, image: Buffer) => {
    const manifest = manifestOf(image);
    const first = await declare(id, manifest);
    expect(first.status).toBe(200);
    for (const digest of first.body.missing) {
      const index = manifest.chunks.findIndex((c) => c.digest === digest);
      expect((await putChunk(id, digest, chunkOf(image, index))).status).toBe(201);
    }
    const done = await declare(id, manifest);
    expect(done.body.state).toBe('NORMAL');
    return { first: first.body, done: done.body };
  };

  it('GET /v1/regions answers the chunk size uploads use', async () => {
    const regions = await alice().get('/v1/regions');
    expect(regions.body.chunkSize).toBe(chunkSize);
  });

  it('uploads only what the region lacks, commits, reads back byte-identical and copies to another region', async () => {
    const image = randomBytes(8 * chunkSize + 999);
    const id = await register({ diskId: 'disk-inc00001' });
    const { first, done } = await uploadAll(id, image);
    expect(first).toEqual({
      missing: manifestOf(image).chunks.map((c) => c.digest),
      chunksTotal: 9,
      chunksMissing: 9,
      bytesMissing: image.length,
      state: 'CREATING',
    });
    expect(done).toMatchObject({ missing: [], chunksMissing: 0, bytesMissing: 0, state: 'NORMAL' });
    expect(done.snapshot).toMatchObject({
      snapshotId: id,
      state: 'NORMAL',
      sizeBytes: image.length,
      digest: sha256(image),
    });
    // committed: the plan and the pending record are gone
    expect(await exists(join(t.dataDir, 'ap-guangzhou', 'pending', `${id}.digests`))).toBe(false);
    const read = await alice().get(`/v1/snapshots/${id}/data`);
    expect(Buffer.compare(read.body, image)).toBe(0);
    expect(read.headers.get('etag')).toBe(`"${sha256(image)}"`);

    const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    const target = copy.body.results[0].snapshotId as string;
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      { what: `copy ${target} NORMAL` },
    );
    const copied = await alice().get(`/v1/snapshots/${target}/data`);
    expect(Buffer.compare(copied.body, image)).toBe(0);

    // Once NORMAL, the snapshot takes no more data.
    expectError(
      await declare(id, manifestOf(image)),
      409,
      'UnsupportedOperation.DataAlreadyStored',
    );
  });

  it('a second snapshot of the same disk with three chunks changed uploads only those three', async () => {
    const image = randomBytes(16 * chunkSize);
    await uploadAll(await register({ diskId: 'disk-inc00002' }), image);
    const next = Buffer.from(image);
    for (const index of [2, 9, 15]) randomBytes(100).copy(next, index * chunkSize + 7);
    const id = await register({ diskId: 'disk-inc00002' });
    const { first } = await uploadAll(id, next);
    expect(first.missing).toEqual([2, 9, 15].map((i) => sha256(chunkOf(next, i))));
    expect(first).toMatchObject({ chunksTotal: 16, chunksMissing: 3, bytesMissing: 3 * chunkSize });
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${id}/data`)).body, next)).toBe(0);
  });

  it('an aborted upload leaves the snapshot CREATING; a retry sends only the rest and commits', async () => {
    const image = randomBytes(6 * chunkSize + 5);
    const manifest = manifestOf(image);
    const id = await register({ diskId: 'disk-inc00003' });
    expect((await declare(id, manifest)).body.chunksMissing).toBe(7);
    for (const index of [0, 3, 6])
      expect(
        (await putChunk(id, manifest.chunks[index]!.digest, chunkOf(image, index))).status,
      ).toBe(201);
    // the client went away here: no commit
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
    // the chunks sent so far are pending in the region, so GC keeps them
    const pending = await readFile(
      join(t.dataDir, 'ap-guangzhou', 'pending', `${id}.digests`),
      'utf8',
    );
    expect(pending).toContain(manifest.chunks[3]!.digest);

    const retry = await declare(id, manifest);
    expect(retry.body).toMatchObject({
      missing: [1, 2, 4, 5].map((i) => manifest.chunks[i]!.digest),
      chunksMissing: 4,
      bytesMissing: 4 * chunkSize,
      state: 'CREATING',
    });
    // Chunks may arrive in parallel and twice: one stores it (201), the other finds it (200).
    const twice = await Promise.all([
      putChunk(id, manifest.chunks[1]!.digest, chunkOf(image, 1)),
      putChunk(id, manifest.chunks[1]!.digest, chunkOf(image, 1)),
    ]);
    expect(twice.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(twice[0].body).toMatchObject({ digest: manifest.chunks[1]!.digest, size: chunkSize });
    await Promise.all(
      [2, 4, 5].map((i) => putChunk(id, manifest.chunks[i]!.digest, chunkOf(image, i))),
    );
    const done = await declare(id, manifest);
    expect(done.body).toMatchObject({ missing: [], state: 'NORMAL' });
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${id}/data`)).body, image)).toBe(0);
  });

  it('refuses a chunk before any manifest, a manifest whose root does not match, a digest not in the manifest and bytes that do not match their digest', async () => {
    const image = randomBytes(3 * chunkSize);
    const manifest = manifestOf(image);
    const id = await register({ diskId: 'disk-inc00004' });
    const events = await eventCount(t);

    expectError(
      await putChunk(id, manifest.chunks[0]!.digest, chunkOf(image, 0)),
      409,
      'UnsupportedOperation.NoUploadPlan',
    );
    const wrongRoot = { ...manifest, root: sha256(Buffer.from('not the root')) };
    expectError(await declare(id, wrongRoot), 400, 'InvalidParameter.ManifestRoot');
    expect(await exists(join(t.dataDir, 'ap-guangzhou', 'pending', `${id}.digests`))).toBe(false);
    expectError(
      await putChunk(id, manifest.chunks[0]!.digest, chunkOf(image, 0)),
      409,
      'UnsupportedOperation.NoUploadPlan',
    ); // the refused manifest recorded nothing

    expect((await declare(id, manifest)).status).toBe(200);
    const stranger = randomBytes(chunkSize);
    expectError(
      await putChunk(id, sha256(stranger), stranger),
      400,
      'InvalidParameter.ChunkNotInManifest',
    );
    const digest = manifest.chunks[1]!.digest;
    expectError(
      await putChunk(id, digest, randomBytes(chunkSize)),
      400,
      'InvalidParameter.ChunkDigestMismatch',
    );
    expect(await exists(chunkFile('ap-guangzhou', digest))).toBe(false);
    expectError(
      await putChunk(id, digest, chunkOf(image, 1).subarray(1)),
      400,
      'InvalidParameter.ChunkLength',
    );
    expectError(
      await alice().put(`/v1/snapshots/${id}/data/chunks/${digest}`, chunkOf(image, 1), {
        'content-type': 'text/plain',
      }),
      415,
      'InvalidParameter.ContentType',
    );
    expectError(await putChunk(id, 'ABC', chunkOf(image, 1)), 400, 'InvalidParameter.Digest');
    // Another account's snapshot is unknown to bob.
    expectError(await declare(id, manifest, keys.bob), 404, 'ResourceNotFound.Snapshot');
    const bobs = await t.api
      .as(keys.bob)
      .put(`/v1/snapshots/${id}/data/chunks/${digest}`, chunkOf(image, 1));
    expectError(bobs, 404, 'ResourceNotFound.Snapshot');

    expect(await eventCount(t)).toBe(events); // nothing refused reached the event log
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
  });

  it('refuses manifests that break the chunking rules or the disk size', async () => {
    const id = await register({ diskId: 'disk-inc00005' });
    const image = randomBytes(2 * chunkSize + 10);
    const good = manifestOf(image);
    const withChunks = (chunks: { digest: string; size: number }[], over = {}) => ({
      ...good,
      chunks,
      root: manifestRoot(chunks),
      ...over,
    });
    const [a, b, c] = good.chunks as [any, any, any];
    for (const [body, status, code] of [
      [withChunks([{ ...a, size: 100 }, b, c]), 400, 'InvalidParameter.Manifest'], // short chunk not last
      [withChunks([a, b, { ...c, size: chunkSize + 1 }]), 400, 'InvalidParameter.Manifest'],
      [withChunks([a, b, { ...c, size: 0 }]), 400, 'InvalidParameter.Manifest'],
      [withChunks([a, { digest: 'XYZ', size: chunkSize }, c]), 400, 'InvalidParameter.Manifest'],
      [withChunks([a, { ...b, extra: 1 }, c]), 400, 'InvalidParameter.Manifest'],
      [withChunks([a, a, { ...a, size: 10 }]), 400, 'InvalidParameter.Manifest'], // same digest, two sizes
      [{ ...good, chunkSize: 1000 }, 400, 'InvalidParameter.ChunkSize'],
      [{ ...good, imageDigest: 'nope' }, 400, 'InvalidParameter'],
      [{ ...good, chunks: 'many' }, 400, 'InvalidParameter'],
      [{ ...good, unknown: true }, 400, 'InvalidParameter'],
      // 1 GiB disk: 16,385 chunks of 64 KiB are more than it holds
      [
        withChunks(Array.from({ length: 16_385 }, () => ({ digest: a.digest, size: chunkSize }))),
        413,
        'UnsupportedOperation.SnapshotDataTooLarge',
      ],
    ] as const)
      expectError(await declare(id, body), status, code);
  });

  it('takes a manifest larger than the general 256 KiB body limit, and refuses one over 32 MiB', async () => {
    const id = await register({ diskId: 'disk-inc00006', diskSizeGiB: 2 });
    const chunks = Array.from({ length: 4_000 }, (_, i) => ({
      digest: sha256(Buffer.from(`chunk ${i} of ${id}`)),
      size: chunkSize,
    }));
    const body = {
      chunkSize,
      imageDigest: sha256(Buffer.from(id)),
      root: manifestRoot(chunks),
      chunks,
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(256 * 1024);
    const answer = await declare(id, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ chunksTotal: 4_000, chunksMissing: 4_000 });
    const huge = JSON.stringify({ ...body, padding: 'x'.repeat(33 * 1024 * 1024) });
    expectError(await declare(id, huge), 413, 'InvalidParameter.BodyTooLarge');
  });

  it('a commit waits for no streaming upload of the same snapshot: 409 UploadInProgress', async () => {
    const image = randomBytes(2 * chunkSize);
    await uploadAll(await register({ diskId: 'disk-inc00007' }), image); // the region holds every chunk
    const id = await register({ diskId: 'disk-inc00007' });
    const { hostname, port } = new URL(t.url);
    // A streaming upload of the same snapshot that sends its headers and one byte, then waits.
    const streaming = httpRequest({
      host: hostname,
      port,
      method: 'PUT',
      path: `/v1/snapshots/${id}/data`,
      headers: {
        authorization: `Bearer ${keys.alice}`,
        'content-type': 'application/octet-stream',
        'content-length': String(image.length),
      },
    });
    const answered = new Promise<IncomingMessage>((resolve) => streaming.on('response', resolve));
    streaming.on('error', () => undefined);
    streaming.write(image.subarray(0, 1));
    await waitFor(
      async () => {
        const db = new Client({ connectionString: t.env['DATABASE_URL'] });
        await db.connect();
        try {
          const { rows } = await db.query(`SELECT 1 FROM upload_leases WHERE snapshot_id = $1`, [
            id,
          ]);
          return rows.length === 1;
        } finally {
          await db.end();
        }
      },
      { what: 'the streaming upload holding the lease' },
    );
    expectError(await declare(id, manifestOf(image)), 409, 'UnsupportedOperation.UploadInProgress');
    streaming.end(image.subarray(1));
    expect((await answered).statusCode).toBe(200);
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('NORMAL');
  });

  it('deleting a snapshot mid-upload drops its plan', async () => {
    const image = randomBytes(chunkSize);
    const id = await register({ diskId: 'disk-inc00008' });
    expect((await declare(id, manifestOf(image))).status).toBe(200);
    const plans = async () => {
      const db = new Client({ connectionString: t.env['DATABASE_URL'] });
      await db.connect();
      try {
        return (await db.query(`SELECT 1 FROM upload_plans WHERE snapshot_id = $1`, [id])).rows
          .length;
      } finally {
        await db.end();
      }
    };
    expect(await plans()).toBe(1);
    expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204);
    await waitFor(async () => (await plans()) === 0, { what: 'the plan dropped' });
    await waitFor(
      async () => !(await exists(join(t.dataDir, 'ap-guangzhou', 'pending', `${id}.digests`))),
      { what: 'the pending record dropped' },
    );
  });

  it('admin scrub: operators only; finds a chunk corrupted on disk and names its snapshot', async () => {
    expectError(await alice().post('/v1/admin/regions/ap-guangzhou/scrub'), 403);
    expectError(
      await t.api.as(keys.operator).post('/v1/admin/regions/xx-nowhere/scrub'),
      400,
      'InvalidParameterValue.Region',
    );
    const clean = await t.api.as(keys.operator).post('/v1/admin/regions/ap-shanghai/scrub');
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ region: 'ap-shanghai', corrupt: [], missing: [] });
    expect(clean.body.chunksChecked).toBeGreaterThan(0);

    const image = randomBytes(3 * chunkSize);
    const id = await register({ diskId: 'disk-inc00009' });
    await uploadAll(id, image);
    const digest = sha256(chunkOf(image, 1));
    const file = chunkFile('ap-guangzhou', digest);
    const bytes = await readFile(file);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(file, bytes);
    const report = await t.api.as(keys.operator).post('/v1/admin/regions/ap-guangzhou/scrub');
    expect(report.status).toBe(200);
    expect(report.body.corrupt).toEqual([{ digest, snapshots: [id] }]);
    expect(report.body.chunksChecked).toBeGreaterThanOrEqual(3);
    expect(report.body.bytesChecked).toBeGreaterThan(0);
    // removed: the next scrub reports it missing from the snapshot that lists it
    const again = await t.api.as(keys.operator).post('/v1/admin/regions/ap-guangzhou/scrub');
    expect(again.body.corrupt).toEqual([]);
    expect(again.body.missing).toEqual([{ digest, snapshots: [id] }]);
  });
});
