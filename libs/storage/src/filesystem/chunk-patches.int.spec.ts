import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyChanges, changeStreamOf, type ImageChange } from '@snapferry/testing';
import {
  buildManifest,
  ChangeStreamWriter,
  collectGarbage,
  FilesystemRegionStore,
  parseChangeStream,
  rebuildFromBase,
  sha256Hex,
  storeStream,
  verifySnapshot,
  type Manifest,
} from '../index';
import { decodePatch } from './chunk-patch';

const chunkSize = 64 * 1024;
const accountId = 'acme';

/** Chunk files under the region, by name: `<digest>` whole, `<digest>.patch` a patch. */
async function chunkFiles(dir: string): Promise<string[]> {
  const root = join(dir, 'ap-singapore', 'chunks');
  const names: string[] = [];
  for (const prefix of await readdir(root)) names.push(...(await readdir(join(root, prefix))));
  return names.filter((name) => !name.startsWith('.')).sort();
}

describe('chunk patches in a filesystem region store', () => {
  let dir: string;
  let store: FilesystemRegionStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-patches-'));
    store = new FilesystemRegionStore(dir, 'ap-singapore');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const patchPath = (digest: string) =>
    join(dir, 'ap-singapore', 'chunks', digest.slice(0, 2), `${digest}.patch`);

  /** A snapshot made from `base` and the changes, as the catalog makes one; its manifest and the image. */
  async function fromBase(
    snapshotId: string,
    base: Manifest,
    baseImage: Buffer,
    changes: ImageChange[],
  ) {
    const stream = changeStreamOf(new ChangeStreamWriter(), changes);
    const rebuilt = await rebuildFromBase({
      store,
      base,
      writer: { accountId, snapshotId },
      changes: parseChangeStream(Readable.from([stream])),
      maxBytes: baseImage.length,
    });
    const manifest = buildManifest({
      snapshotId,
      accountId,
      chunkSize,
      chunks: rebuilt.chunks,
      createdAt: new Date(),
    });
    await store.putManifest(manifest);
    return { manifest, image: applyChanges(baseImage, changes), stats: rebuilt.stats };
  }

  async function first() {
    const image = randomBytes(4 * chunkSize);
    const manifest = await storeStream(store, 'snap-base0001', Readable.from([image]), {
      accountId,
      chunkSize,
    });
    return { manifest, image };
  }

  /** A base, and a day 1 whose chunk 1 is a patch (512 bytes) over the base's whole chunk 1. */
  async function patchedChunk() {
    const base = await first();
    const day1 = await fromBase('snap-day10001', base.manifest, base.image, [
      { kind: 'w', offset: chunkSize + 10, bytes: randomBytes(512) },
    ]);
    const whole = base.manifest.chunks[1]!.digest;
    return { base, day1, whole, patched: day1.manifest.chunks[1]!.digest };
  }

  it('keeps chunks a small write or trim changed as patches over the base chunks, read back whole', async () => {
    const base = await first();
    const day1 = await fromBase('snap-day10001', base.manifest, base.image, [
      { kind: 'w', offset: chunkSize + 100, bytes: randomBytes(1024) },
      { kind: 'z', offset: 2 * chunkSize + 5000, length: 2048 },
    ]);

    expect(day1.stats).toMatchObject({ chunksRebuilt: 2, bytesRebuilt: 2 * chunkSize });
    // The changed parts and two header lines, not two chunks.
    expect(day1.stats.bytesStored).toBeGreaterThan(3072);
    expect(day1.stats.bytesStored).toBeLessThan(4096);
    for (const index of [1, 2]) {
      const digest = day1.manifest.chunks[index]!.digest;
      const { patch } = decodePatch(await readFile(patchPath(digest)));
      expect(patch.base).toBe(base.manifest.chunks[index]!.digest);
      const bytes = await store.getChunk(digest);
      expect(bytes.equals(day1.image.subarray(index * chunkSize, (index + 1) * chunkSize))).toBe(
        true,
      );
    }
    await expect(verifySnapshot(store, day1.manifest)).resolves.toBeUndefined();
    expect(await store.hasChunk(day1.manifest.chunks[1]!.digest)).toBe(true);
    expect(await store.missingChunks([day1.manifest.chunks[1]!.digest], accountId)).toEqual([]);
  });

  it('lays a patch of a patch over the same whole chunk, and stores the chunk whole once its changes pass a quarter of it', async () => {
    const base = await first();
    const day1 = await fromBase('snap-day10001', base.manifest, base.image, [
      { kind: 'w', offset: chunkSize, bytes: randomBytes(1024) },
    ]);
    const day2 = await fromBase('snap-day20001', day1.manifest, day1.image, [
      { kind: 'w', offset: chunkSize + 8192, bytes: randomBytes(1024) },
    ]);
    const digest2 = day2.manifest.chunks[1]!.digest;
    const { patch } = decodePatch(await readFile(patchPath(digest2)));
    expect(patch.base).toBe(base.manifest.chunks[1]!.digest);
    expect(patch.parts).toEqual([
      [0, 1024],
      [8192, 9216],
    ]);
    expect(
      (await store.getChunk(digest2)).equals(day2.image.subarray(chunkSize, 2 * chunkSize)),
    ).toBe(true);

    // 2 KiB patched before, 15 KiB more now: past the 16 KiB quarter, so whole.
    const day3 = await fromBase('snap-day30001', day2.manifest, day2.image, [
      { kind: 'w', offset: chunkSize + 20_000, bytes: randomBytes(15 * 1024) },
    ]);
    const digest3 = day3.manifest.chunks[1]!.digest;
    expect(day3.stats.bytesStored).toBe(chunkSize);
    expect(await chunkFiles(dir)).toContain(digest3);
    expect(await chunkFiles(dir)).not.toContain(`${digest3}.patch`);
    await expect(verifySnapshot(store, day3.manifest)).resolves.toBeUndefined();
  });

  it('GC keeps a whole chunk while a patch lies over it, and frees it the run after the patch goes', async () => {
    const { base, day1, whole, patched } = await patchedChunk();
    await store.deleteManifest(base.manifest.snapshotId);

    let stats = await collectGarbage(store, { graceMs: 0 });
    expect(stats.chunksDeleted).toBe(0);
    expect(await chunkFiles(dir)).toEqual(expect.arrayContaining([whole, `${patched}.patch`]));
    await expect(verifySnapshot(store, day1.manifest)).resolves.toBeUndefined();

    await store.deleteManifest(day1.manifest.snapshotId);
    stats = await collectGarbage(store, { graceMs: 0 });
    expect(await chunkFiles(dir)).toEqual([whole]); // the patch went; the whole chunk waits a run
    stats = await collectGarbage(store, { graceMs: 0 });
    expect(stats.chunksDeleted).toBe(1);
    expect(await chunkFiles(dir)).toEqual([]);
  });

  it('scrub reports a patch whose whole chunk is corrupt, with the whole chunk', async () => {
    const { day1, whole, patched } = await patchedChunk();
    const wholePath = join(dir, 'ap-singapore', 'chunks', whole.slice(0, 2), whole);
    const bytes = await readFile(wholePath);
    bytes.writeUInt8(bytes.readUInt8(chunkSize - 1) ^ 0xff, chunkSize - 1);
    await writeFile(wholePath, bytes);

    const report = await store.scrub();

    expect(report.corrupt.map((c) => c.digest).sort()).toEqual([whole, patched].sort());
    expect(report.corrupt.find((c) => c.digest === patched)?.snapshots).toEqual([
      day1.manifest.snapshotId,
    ]);
    await expect(store.getChunk(patched)).rejects.toThrow();
    expect(sha256Hex(bytes)).not.toBe(whole);
  });
});
