import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  collectGarbage,
  CorruptChunkError,
  FilesystemRegionStore,
  InvalidIdError,
  MissingChunkError,
  readStream,
  sha256Hex,
  storeStream,
  TooLargeError,
  type Manifest,
} from './index';

const KiB = 1024;
const chunkSize = 64 * KiB;

/** Feeds `bytes` in uneven pieces, so chunk assembly is exercised across piece boundaries. */
function upload(bytes: Buffer, piece = 10_007): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
    })(),
  );
}

async function flipByteOfChunk(store: FilesystemRegionStore, digest: string): Promise<void> {
  const path = join(store.root, 'chunks', digest.slice(0, 2), digest);
  const bytes = await readFile(path);
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
}

describe('FilesystemRegionStore with storeStream/readStream', () => {
  let dir: string;
  let store: FilesystemRegionStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-storage-'));
    store = new FilesystemRegionStore(dir, 'ap-guangzhou');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['empty', 0],
    ['1 byte', 1],
    ['exactly one chunk', chunkSize],
    ['one chunk + 1 byte', chunkSize + 1],
    ['many chunks', 10 * chunkSize + 123],
  ])('round-trips an image: %s', async (_, size) => {
    const image = randomBytes(size);
    const manifest = await storeStream(store, 'snap-round001', upload(image), { chunkSize });

    expect(manifest).toMatchObject({ totalLength: size, chunkSize, imageDigest: sha256Hex(image) });
    expect(manifest.chunks).toHaveLength(Math.ceil(size / chunkSize));
    expect(await store.getManifest('snap-round001')).toEqual(manifest);
    expect(await store.listManifests()).toEqual(['snap-round001']);
    expect(await store.listPending()).toEqual([]);
    expect((await buffer(readStream(store, manifest))).equals(image)).toBe(true);
  });

  it('lays chunks out by digest prefix and stores a repeated chunk once', async () => {
    const zeros = Buffer.alloc(4 * chunkSize);
    const manifest = await storeStream(store, 'snap-zeros001', upload(zeros), { chunkSize });
    const digest = sha256Hex(Buffer.alloc(chunkSize));

    expect(manifest.chunks.map((c) => c.digest)).toEqual([digest, digest, digest, digest]);
    expect(await readdir(join(store.root, 'chunks', digest.slice(0, 2)))).toEqual([digest]);
  });

  it('serves byte ranges', async () => {
    const image = randomBytes(3 * chunkSize + 100);
    const manifest = await storeStream(store, 'snap-range001', upload(image), { chunkSize });
    const read = async (start: number, end?: number) =>
      buffer(readStream(store, manifest, { start, end }));

    expect((await read(0, 0)).equals(image.subarray(0, 1))).toBe(true);
    expect(
      (await read(chunkSize - 5, 2 * chunkSize + 4)).equals(
        image.subarray(chunkSize - 5, 2 * chunkSize + 5),
      ),
    ).toBe(true);
    expect((await read(3 * chunkSize)).equals(image.subarray(3 * chunkSize))).toBe(true);
    expect(() => readStream(store, manifest, { start: image.length })).toThrow('outside');
  });

  it('detects a corrupted chunk on read', async () => {
    const manifest = await storeStream(store, 'snap-corrupt1', upload(randomBytes(3 * chunkSize)), {
      chunkSize,
    });
    const bad = manifest.chunks[1]!.digest;
    await flipByteOfChunk(store, bad);

    await expect(store.getChunk(bad)).rejects.toBeInstanceOf(CorruptChunkError);
    await expect(buffer(readStream(store, manifest))).rejects.toThrow(
      `chunk ${bad} (#1) of snapshot snap-corrupt1 in region ap-guangzhou is corrupt`,
    );
  });

  it('reports a missing chunk with a typed error', async () => {
    const manifest = await storeStream(store, 'snap-missing1', upload(randomBytes(2 * chunkSize)), {
      chunkSize,
    });
    await store.deleteChunk(manifest.chunks[0]!.digest);

    await expect(buffer(readStream(store, manifest))).rejects.toBeInstanceOf(MissingChunkError);
  });

  it('refuses bytes that do not match their digest before they become visible', async () => {
    const digest = sha256Hex(Buffer.from('right'));

    await expect(store.putChunk(digest, Buffer.from('wrong'))).rejects.toBeInstanceOf(
      CorruptChunkError,
    );
    expect(await store.hasChunk(digest)).toBe(false);
    expect(await store.putChunk(digest, Buffer.from('right'))).toBe(true);
    expect(await store.putChunk(digest, Buffer.from('right'))).toBe(false);
  });

  it('refuses an upload over maxBytes and leaves no manifest', async () => {
    const attempt = storeStream(store, 'snap-toobig01', upload(randomBytes(3 * chunkSize)), {
      chunkSize,
      maxBytes: 2 * chunkSize,
    });

    await expect(attempt).rejects.toBeInstanceOf(TooLargeError);
    expect(await store.getManifest('snap-toobig01')).toBeNull();
    expect(await store.listPending()).toEqual([]);
  });

  it('accepts an upload of exactly maxBytes', async () => {
    const manifest = await storeStream(store, 'snap-justfit1', upload(randomBytes(chunkSize)), {
      chunkSize,
      maxBytes: chunkSize,
    });
    expect(manifest.totalLength).toBe(chunkSize);
  });

  it('leaves no manifest when the upload is aborted or the stream fails', async () => {
    const controller = new AbortController();
    const slow = Readable.from(
      (async function* () {
        yield randomBytes(chunkSize);
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        yield randomBytes(chunkSize);
      })(),
    );
    await expect(
      storeStream(store, 'snap-aborted1', slow, { chunkSize, signal: controller.signal }),
    ).rejects.toThrow();
    expect(await store.getManifest('snap-aborted1')).toBeNull();

    const broken = Readable.from(
      (async function* () {
        yield randomBytes(10);
        throw new Error('client went away');
      })(),
    );
    await expect(storeStream(store, 'snap-broken01', broken, { chunkSize })).rejects.toThrow(
      'client went away',
    );
    expect(await store.getManifest('snap-broken01')).toBeNull();
  });

  it('keeps memory bounded: never holds the whole image', async () => {
    // 64 MiB through 64 KiB chunks; the heap must not grow by anything like the image size.
    const pieces = 1024;
    const piece = randomBytes(64 * KiB);
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < pieces; i++) yield piece;
      })(),
    );
    const manifest = await storeStream(store, 'snap-bigone01', source, { chunkSize });
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

    expect(manifest.totalLength).toBe(pieces * piece.length);
    expect(after - before).toBeLessThan(32 * 1024 * KiB);
  });

  it('refuses a second upload to a snapshot that has data', async () => {
    await storeStream(store, 'snap-twice001', upload(randomBytes(10)), { chunkSize });
    await expect(
      storeStream(store, 'snap-twice001', upload(randomBytes(10)), { chunkSize }),
    ).rejects.toThrow('already has data');
  });

  it('validates ids and digests before touching a path', async () => {
    await expect(store.getManifest('../../etc/passwd')).rejects.toBeInstanceOf(InvalidIdError);
    await expect(store.getChunk('../x')).rejects.toBeInstanceOf(InvalidIdError);
    await expect(
      storeStream(store, 'snap-../../x', upload(Buffer.alloc(1))),
    ).rejects.toBeInstanceOf(InvalidIdError);
    expect(() => new FilesystemRegionStore(dir, '../escape')).toThrow(InvalidIdError);
  });

  it('a crash between temp write and rename leaves nothing visible, and GC cleans it', async () => {
    const bytes = randomBytes(100);
    const digest = sha256Hex(bytes);
    const prefixDir = join(store.root, 'chunks', digest.slice(0, 2));
    const manifestsDir = join(store.root, 'manifests');
    await mkdir(prefixDir, { recursive: true });
    await mkdir(manifestsDir, { recursive: true });
    // What a crash after the write but before the rename leaves behind.
    await writeFile(join(prefixDir, `.${digest}.tmp-deadbeef0001`), bytes);
    await writeFile(join(manifestsDir, '.snap-crashed1.json.tmp-deadbeef0002'), '{"partial":');

    expect(await store.hasChunk(digest)).toBe(false);
    expect(await store.getManifest('snap-crashed1')).toBeNull();
    expect(await store.listManifests()).toEqual([]);
    const listed: string[] = [];
    for await (const chunk of store.listChunks()) listed.push(chunk.digest);
    expect(listed).not.toContain(digest);

    const stats = await collectGarbage(store, { graceMs: 0 });
    expect(stats.tempFilesDeleted).toBe(2);
    expect(await readdir(prefixDir)).toEqual([]);
    expect(await readdir(manifestsDir)).toEqual([]);
  });

  it('lists, deletes and rejects corrupt manifests', async () => {
    const a: Manifest = await storeStream(store, 'snap-list0001', upload(randomBytes(5)), {
      chunkSize,
    });
    await storeStream(store, 'snap-list0002', upload(randomBytes(5)), { chunkSize });
    expect(await store.listManifests()).toEqual(['snap-list0001', 'snap-list0002']);

    expect(await store.deleteManifest(a.snapshotId)).toBe(true);
    expect(await store.deleteManifest(a.snapshotId)).toBe(false);
    expect(await store.listManifests()).toEqual(['snap-list0002']);

    await writeFile(join(store.root, 'manifests', 'snap-list0002.json'), '{not json');
    await expect(store.getManifest('snap-list0002')).rejects.toThrow(
      'invalid manifest for snap-list0002',
    );
  });
});
