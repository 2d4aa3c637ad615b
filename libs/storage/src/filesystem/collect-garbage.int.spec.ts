import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  type LocalRegionStore,
  collectGarbage,
  copySnapshot,
  FilesystemRegionStore,
  sha256Hex,
  storeStream,
  verifySnapshot,
} from '../index';

const chunkSize = 64 * 1024;

async function chunksOf(store: FilesystemRegionStore): Promise<string[]> {
  const digests: string[] = [];
  for await (const chunk of store.listChunks()) digests.push(chunk.digest);
  return digests.sort();
}

describe('collectGarbage on a filesystem region store', () => {
  let dir: string;
  let store: FilesystemRegionStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-gc-'));
    store = new FilesystemRegionStore(dir, 'ap-singapore');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const put = (id: string, image: Buffer) =>
    storeStream(store, id, Readable.from([image]), { accountId: 'acme', chunkSize });

  it('deletes only chunks no manifest references', async () => {
    const shared = randomBytes(chunkSize);
    const kept = await put('snap-keep0001', Buffer.concat([shared, randomBytes(chunkSize)]));
    const dropped = await put('snap-drop0001', Buffer.concat([shared, randomBytes(chunkSize)]));
    await store.deleteManifest(dropped.snapshotId);

    const stats = await collectGarbage(store, { graceMs: 0 });

    expect(stats).toMatchObject({
      manifests: 1,
      chunksScanned: 3,
      chunksDeleted: 1,
      bytesFreed: chunkSize,
    });
    expect(await chunksOf(store)).toEqual(kept.chunks.map((c) => c.digest).sort());
    await expect(verifySnapshot(store, kept)).resolves.toBeUndefined();
  });

  it('keeps unreferenced chunks younger than the grace period', async () => {
    const orphan = await put('snap-orphan01', randomBytes(chunkSize));
    await store.deleteManifest(orphan.snapshotId);

    expect((await collectGarbage(store, { graceMs: 60_000 })).chunksDeleted).toBe(0);
    expect(
      (await collectGarbage(store, { graceMs: 60_000, now: () => Date.now() + 120_000 }))
        .chunksDeleted,
    ).toBe(1);
  });

  it('never deletes a chunk that only a pending copy references', async () => {
    const source = new FilesystemRegionStore(dir, 'ap-shanghai');
    const image = randomBytes(3 * chunkSize);
    await storeStream(source, 'snap-pend0001', Readable.from([image]), {
      accountId: 'acme',
      chunkSize,
    });
    // A copy that crashed after transferring two chunks: they exist, no manifest yet.
    const manifest = (await source.getManifest('snap-pend0001'))!;
    await store.addPending(
      'snap-pend0002',
      manifest.chunks.map((c) => c.digest),
    );
    for (const chunk of manifest.chunks.slice(0, 2))
      await store.putChunk(chunk.digest, await source.getChunk(chunk.digest), {
        accountId: 'acme',
        snapshotId: 'snap-pend0002',
      });

    const stats = await collectGarbage(store, { graceMs: 0 });

    expect(stats).toMatchObject({ pending: 1, chunksDeleted: 0 });
    const resumed = await copySnapshot({
      accountId: 'acme',
      source,
      target: store,
      sourceSnapshotId: 'snap-pend0001',
      targetSnapshotId: 'snap-pend0002',
    });
    expect(resumed).toMatchObject({ chunksCopied: 1, chunksSkipped: 2 });
  });

  it('protects the chunks of an upload still in flight', async () => {
    const first = randomBytes(chunkSize);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const upload = storeStream(
      store,
      'snap-inflt001',
      Readable.from(
        (async function* () {
          yield first;
          await gate;
          yield randomBytes(10);
        })(),
      ),
      { accountId: 'acme', chunkSize },
    );
    // Wait until the first chunk is on disk, then collect while the upload is stalled.
    while (!(await store.hasChunk(sha256Hex(first)))) await new Promise((r) => setTimeout(r, 5));

    expect((await collectGarbage(store, { graceMs: 0 })).chunksDeleted).toBe(0);
    release();
    const manifest = await upload;
    await expect(verifySnapshot(store, manifest)).resolves.toBeUndefined();
  });

  it('works in bounded batches: several passes, the same result', async () => {
    const kept = await put('snap-batch001', randomBytes(5 * chunkSize));
    const dropped = await put('snap-batch002', randomBytes(7 * chunkSize));
    await store.deleteManifest(dropped.snapshotId);
    const stats = await collectGarbage(store, { graceMs: 0, batchSize: 3 });
    expect(stats).toMatchObject({ chunksScanned: 12, chunksDeleted: 7, passes: 4 });
    expect(await chunksOf(store)).toEqual(kept.chunks.map((c) => c.digest).sort());
  });

  it('never loses a chunk that a copy touches while the sweep runs', async () => {
    // Many old, unreferenced chunks; a writer (a copy finding them present) touches each while
    // GC sweeps. Whatever the interleaving, a touch that says "present" must leave the chunk
    // there; a touch that comes too late says "absent", and the writer writes it again.
    const digests: string[] = [];
    for (let i = 0; i < 400; i++) {
      const bytes = randomBytes(16);
      const digest = sha256Hex(bytes);
      await store.putChunk(digest, bytes, { accountId: 'acme', snapshotId: 'snap-touch001' });
      digests.push(digest);
    }
    const hourAgo = new Date(Date.now() - 3_600_000);
    await Promise.all(
      digests.map((d) => utimes(join(store.root, 'chunks', d.slice(0, 2), d), hourAgo, hourAgo)),
    );

    // For most chunks the writer's touch is issued at the very moment the sweep deletes it, so
    // the two file operations run at once in libuv's thread pool, in whatever order the kernel
    // chooses; for some the touch lands just before the delete, for some just after, so both
    // outcomes (kept by the touch, collected) always occur whatever the timing.
    const touched = new Set<string>();
    let n = 0;
    const racing: LocalRegionStore = Object.create(store) as LocalRegionStore;
    const touch = (digest: string) =>
      store.touchChunk(digest).then((present) => present && touched.add(digest));
    racing.deleteChunkIfOlder = async (digest, cutoffMs) => {
      const order = n++ % 4;
      if (order === 0) await touch(digest);
      const deleted = store.deleteChunkIfOlder(digest, cutoffMs);
      if (order === 1) await deleted;
      await touch(digest);
      return deleted;
    };
    const stats = await collectGarbage(racing, { graceMs: 60_000, batchSize: 50 });

    for (const digest of touched) expect(await store.hasChunk(digest)).toBe(true);
    expect(stats.chunksDeleted).toBeGreaterThan(0);
    expect(touched.size).toBeGreaterThan(0);
  });
});
