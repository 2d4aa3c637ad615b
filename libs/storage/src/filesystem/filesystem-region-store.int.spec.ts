import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  buildManifest,
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
} from '../index';

const KiB = 1024;
setFlagsFromString('--expose-gc');
/** V8's full collection (jest runs without --expose-gc: the flag is set, then gc taken from a fresh context). */
const fullGc = runInNewContext('gc') as () => void;
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
    const manifest = await storeStream(store, 'snap-round001', upload(image), {
      accountId: 'acme',
      chunkSize,
    });

    expect(manifest).toMatchObject({ totalLength: size, chunkSize, imageDigest: sha256Hex(image) });
    expect(manifest.chunks).toHaveLength(Math.ceil(size / chunkSize));
    expect(await store.getManifest('snap-round001')).toEqual(manifest);
    expect(await store.listManifests()).toEqual(['snap-round001']);
    expect(await store.listPending()).toEqual([]);
    expect((await buffer(readStream(store, manifest))).equals(image)).toBe(true);
  });

  it('lays chunks out by digest prefix and stores a repeated chunk once', async () => {
    const zeros = Buffer.alloc(4 * chunkSize);
    const manifest = await storeStream(store, 'snap-zeros001', upload(zeros), {
      accountId: 'acme',
      chunkSize,
    });
    const digest = sha256Hex(Buffer.alloc(chunkSize));

    expect(manifest.chunks.map((c) => c.digest)).toEqual([digest, digest, digest, digest]);
    expect(await readdir(join(store.root, 'chunks', digest.slice(0, 2)))).toEqual([digest]);
  });

  it('serves byte ranges', async () => {
    const image = randomBytes(3 * chunkSize + 100);
    const manifest = await storeStream(store, 'snap-range001', upload(image), {
      accountId: 'acme',
      chunkSize,
    });
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
      accountId: 'acme',
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
      accountId: 'acme',
      chunkSize,
    });
    await store.deleteChunk(manifest.chunks[0]!.digest);

    await expect(buffer(readStream(store, manifest))).rejects.toBeInstanceOf(MissingChunkError);
  });

  it('refuses bytes that do not match their digest before they become visible', async () => {
    const digest = sha256Hex(Buffer.from('right'));

    const writer = { accountId: 'acme', snapshotId: 'snap-right001' };
    await expect(store.putChunk(digest, Buffer.from('wrong'), writer)).rejects.toBeInstanceOf(
      CorruptChunkError,
    );
    expect(await store.hasChunk(digest)).toBe(false);
    expect(await store.putChunk(digest, Buffer.from('right'), writer)).toBe(true);
    expect(await store.putChunk(digest, Buffer.from('right'), writer)).toBe(false);
  });

  it('refuses an upload over maxBytes and leaves no manifest', async () => {
    const attempt = storeStream(store, 'snap-toobig01', upload(randomBytes(3 * chunkSize)), {
      accountId: 'acme',
      chunkSize,
      maxBytes: 2 * chunkSize,
    });

    await expect(attempt).rejects.toBeInstanceOf(TooLargeError);
    expect(await store.getManifest('snap-toobig01')).toBeNull();
    expect(await store.listPending()).toEqual([]);
  });

  it('accepts an upload of exactly maxBytes', async () => {
    const manifest = await storeStream(store, 'snap-justfit1', upload(randomBytes(chunkSize)), {
      accountId: 'acme',
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
      storeStream(store, 'snap-aborted1', slow, {
        accountId: 'acme',
        chunkSize,
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    expect(await store.getManifest('snap-aborted1')).toBeNull();

    const broken = Readable.from(
      (async function* () {
        yield randomBytes(10);
        throw new Error('client went away');
      })(),
    );
    await expect(
      storeStream(store, 'snap-broken01', broken, { accountId: 'acme', chunkSize }),
    ).rejects.toThrow('client went away');
    expect(await store.getManifest('snap-broken01')).toBeNull();
  });

  it('keeps memory bounded: never holds the whole image', async () => {
    // 64 MiB through 64 KiB chunks; the memory in use must not grow by anything like the image
    // size. Measured after a collection, at the start and every 4 MiB while the image streams:
    // what is held, not garbage a loaded machine has not collected yet.
    const pieces = 1024;
    const piece = randomBytes(64 * KiB);
    const inUse = () => {
      fullGc();
      return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    };
    const before = inUse();
    let after = before;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < pieces; i++) {
          if (i % 64 === 63) after = Math.max(after, inUse());
          yield piece;
        }
      })(),
    );
    const manifest = await storeStream(store, 'snap-bigone01', source, {
      accountId: 'acme',
      chunkSize,
    });

    expect(manifest.totalLength).toBe(pieces * piece.length);
    expect(after - before).toBeLessThan(32 * 1024 * KiB);
  });

  it('refuses a second upload to a snapshot that has data', async () => {
    await storeStream(store, 'snap-twice001', upload(randomBytes(10)), {
      accountId: 'acme',
      chunkSize,
    });
    await expect(
      storeStream(store, 'snap-twice001', upload(randomBytes(10)), {
        accountId: 'acme',
        chunkSize,
      }),
    ).rejects.toThrow('already has data');
  });

  it('validates ids and digests before touching a path', async () => {
    await expect(store.getManifest('../../etc/passwd')).rejects.toBeInstanceOf(InvalidIdError);
    await expect(store.getChunk('../x')).rejects.toBeInstanceOf(InvalidIdError);
    await expect(
      storeStream(store, 'snap-../../x', upload(Buffer.alloc(1)), { accountId: 'acme' }),
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
      accountId: 'acme',
      chunkSize,
    });
    await storeStream(store, 'snap-list0002', upload(randomBytes(5)), {
      accountId: 'acme',
      chunkSize,
    });
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

describe('FilesystemRegionStore: dedup never crosses accounts', () => {
  let dir: string;
  let store: FilesystemRegionStore;
  const bytes = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
  const digests = bytes.map(sha256Hex);
  const alice = (snapshotId: string) => ({ accountId: 'alice', snapshotId });
  const bob = (snapshotId: string) => ({ accountId: 'bob', snapshotId });
  const manifestOf = (snapshotId: string, accountId: string): Manifest =>
    buildManifest({
      snapshotId,
      accountId,
      chunkSize: 1000,
      chunks: [{ digest: digests[0]!, size: 1000 }],
      imageDigest: digests[0]!,
      createdAt: new Date(),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-tenants-'));
    store = new FilesystemRegionStore(dir, 'ap-guangzhou');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a chunk another account sent as missing, until this account sends its bytes', async () => {
    expect(await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice001'))).toBe(true);
    expect(await store.missingChunks(digests, 'alice')).toEqual(digests.slice(1));
    expect(await store.missingChunks(digests, 'bob')).toEqual(digests);
    // bob's bytes: new for bob (201), still one file in the region
    expect(await store.putChunk(digests[0]!, bytes[0]!, bob('snap-bob00001'))).toBe(true);
    expect(await store.putChunk(digests[0]!, bytes[0]!, bob('snap-bob00001'))).toBe(false);
    expect(await store.missingChunks(digests, 'bob')).toEqual(digests.slice(1));
    expect(await readdir(join(store.root, 'chunks', digests[0]!.slice(0, 2)))).toEqual([
      digests[0],
    ]);
  });

  it('answers a chunk written again after the region lost it as new, though a list of the account still names it', async () => {
    expect(await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice001'))).toBe(true);
    await store.deleteChunk(digests[0]!); // the file gone (a sweep, a disk fault); the log stays
    expect(await store.missingChunks(digests, 'alice')).toEqual(digests);
    expect(await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice001'))).toBe(true);
    expect(await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice001'))).toBe(false);
    expect(await store.hasChunk(digests[0]!)).toBe(true);
  });

  it('refuses a manifest naming chunks only another account sent, and keeps a committed one for its account', async () => {
    await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice001'));
    await expect(store.putManifest(manifestOf('snap-bob00001', 'bob'))).rejects.toBeInstanceOf(
      MissingChunkError,
    );
    await expect(
      store.putManifest({ ...manifestOf('snap-bob00001', 'bob'), accountId: undefined }),
    ).rejects.toBeInstanceOf(InvalidIdError);
    await store.putManifest(manifestOf('snap-alice001', 'alice'));
    // The write in flight is over (its received log goes); the committed manifest still counts.
    await store.deletePending('snap-alice001');
    expect(await store.missingChunks([digests[0]!], 'alice')).toEqual([]);
    // Another process on the same directory sees the same.
    const other = new FilesystemRegionStore(dir, 'ap-guangzhou');
    expect(await other.missingChunks([digests[0]!], 'alice')).toEqual([]);
    expect(await other.missingChunks([digests[0]!], 'bob')).toEqual([digests[0]]);
    // Deleting the manifest ends the reference.
    await store.deleteManifest('snap-alice001');
    expect(await other.missingChunks([digests[0]!], 'alice')).toEqual([digests[0]]);
  });

  it('an abandoned write no longer counts for its account', async () => {
    await store.putChunk(digests[1]!, bytes[1]!, alice('snap-alice002'));
    expect(await store.missingChunks([digests[1]!], 'alice')).toEqual([]);
    await store.deletePending('snap-alice002');
    expect(await store.missingChunks([digests[1]!], 'alice')).toEqual([digests[1]]);
  });

  it('keeps every line of a received log that many chunk writes append to at once', async () => {
    const many = Array.from({ length: 64 }, () => randomBytes(64));
    await Promise.all(
      many.map((chunk) => store.putChunk(sha256Hex(chunk), chunk, alice('snap-alice003'))),
    );
    expect(await store.missingChunks(many.map(sha256Hex), 'alice')).toEqual([]);
  });

  it('account ids that differ only in case are different accounts', async () => {
    await store.putChunk(digests[2]!, bytes[2]!, {
      accountId: 'Acme',
      snapshotId: 'snap-acme0001',
    });
    expect(await store.missingChunks([digests[2]!], 'acme')).toEqual([digests[2]]);
    expect(await store.missingChunks([digests[2]!], 'Acme')).toEqual([]);
  });

  it('GC drops reference lists whose manifest or write is gone', async () => {
    await store.putChunk(digests[0]!, bytes[0]!, alice('snap-alice004'));
    await store.putManifest(manifestOf('snap-alice004', 'alice'));
    await store.putChunk(digests[1]!, bytes[1]!, alice('snap-alice005'));
    // A crash between removing the manifest and its reference list, and a write whose
    // pending record is gone without its received log.
    await rm(join(store.root, 'manifests', 'snap-alice004.json'));
    // A second ahead, so that files written this very millisecond are older than the cutoff.
    const stats = await collectGarbage(store, { graceMs: 0, now: () => Date.now() + 1000 });
    expect(stats.tempFilesDeleted).toBe(2);
    expect(await store.missingChunks(digests.slice(0, 2), 'alice')).toEqual(digests.slice(0, 2));
  });
});
