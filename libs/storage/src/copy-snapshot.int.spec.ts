import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  abandonCopy,
  collectGarbage,
  copySnapshot,
  CorruptChunkError,
  FilesystemRegionStore,
  type LocalRegionStore,
  ImageDigestMismatchError,
  MissingChunkError,
  readStream,
  SnapshotNotFoundError,
  storeStream,
  Throttle,
  verifySnapshot,
  type CopyProgress,
  type RegionStore,
  type ChunkWriter,
} from './index';

const chunkSize = 64 * 1024;

const chunkFile = (store: FilesystemRegionStore, digest: string): string =>
  join(store.root, 'chunks', digest.slice(0, 2), digest);

async function flipByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[7] = (bytes[7] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
}

/** Wraps a store so a test can fail the n-th chunk write, as a crash would. */
function crashingAfter(store: RegionStore, writes: number): RegionStore {
  let left = writes;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'putChunk') {
        return async (digest: string, bytes: Uint8Array, writer: ChunkWriter) => {
          if (left-- <= 0) throw new Error('simulated crash');
          return target.putChunk(digest, bytes, writer);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('copySnapshot between two filesystem region stores', () => {
  let dir: string;
  let source: FilesystemRegionStore;
  let target: FilesystemRegionStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-copy-'));
    source = new FilesystemRegionStore(dir, 'ap-guangzhou');
    target = new FilesystemRegionStore(dir, 'eu-frankfurt');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const put = (store: RegionStore, id: string, image: Buffer) =>
    storeStream(store, id, Readable.from([image]), { accountId: 'acme', chunkSize });

  it('copies a snapshot so it reads back byte-identical, with progress to 100%', async () => {
    const image = randomBytes(5 * chunkSize + 17);
    await put(source, 'snap-src00001', image);
    const progress: CopyProgress[] = [];

    const result = await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-src00001',
      targetSnapshotId: 'snap-tgt00001',
      onProgress: (p) => progress.push(p),
    });

    expect(result).toMatchObject({
      chunksCopied: 6,
      chunksSkipped: 0,
      bytesCopied: image.length,
      bytesTotal: image.length,
    });
    expect(result.manifest.copiedFrom).toEqual({
      region: 'ap-guangzhou',
      snapshotId: 'snap-src00001',
    });
    const copy = await target.getManifest('snap-tgt00001');
    expect((await buffer(readStream(target, copy!))).equals(image)).toBe(true);
    const copying = progress.filter((p) => p.phase === 'copying');
    expect(copying.at(-1)).toMatchObject({ bytesDone: image.length, chunksCopied: 6 });
    expect(progress.at(-1)).toMatchObject({ phase: 'verifying', bytesDone: image.length });
    expect(await target.listPending()).toEqual([]);
  });

  it('copies an incremental snapshot by moving only the changed chunks', async () => {
    const first = randomBytes(8 * chunkSize);
    const second = Buffer.from(first);
    randomBytes(100).copy(second, 3 * chunkSize + 500); // one region changed, inside chunk 3
    await put(source, 'snap-day00001', first);
    await put(source, 'snap-day00002', second);

    await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-day00001',
      targetSnapshotId: 'snap-cpy00001',
    });
    const incremental = await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-day00002',
      targetSnapshotId: 'snap-cpy00002',
    });

    expect(incremental).toMatchObject({
      chunksCopied: 1,
      chunksSkipped: 7,
      bytesCopied: chunkSize,
      bytesTotal: 8 * chunkSize,
    });
    const copy = await target.getManifest('snap-cpy00002');
    expect((await buffer(readStream(target, copy!))).equals(second)).toBe(true);
  });

  it('resumes after a crash, transferring only what the target still lacks', async () => {
    const image = randomBytes(6 * chunkSize);
    await put(source, 'snap-resume01', image);
    const options = {
      accountId: 'acme',
      source,
      sourceSnapshotId: 'snap-resume01',
      targetSnapshotId: 'snap-resume02',
      concurrency: 1,
    };

    await expect(copySnapshot({ ...options, target: crashingAfter(target, 4) })).rejects.toThrow(
      'simulated crash',
    );
    expect(await target.getManifest('snap-resume02')).toBeNull();
    expect(await target.getPending('snap-resume02')).toHaveLength(6);

    const resumed = await copySnapshot({ ...options, target });
    expect(resumed).toMatchObject({ chunksCopied: 2, chunksSkipped: 4 });
    expect(await target.listPending()).toEqual([]);

    const again = await copySnapshot({ ...options, target });
    expect(again).toMatchObject({ alreadyComplete: true, chunksCopied: 0 });
  });

  it('refuses a corrupt source chunk, naming the chunk and the snapshot, and writes no manifest', async () => {
    const manifest = await put(source, 'snap-badsrc01', randomBytes(3 * chunkSize));
    const bad = manifest.chunks[2]!.digest;
    await flipByte(chunkFile(source, bad));

    const attempt = copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-badsrc01',
      targetSnapshotId: 'snap-badtgt01',
    });

    await expect(attempt).rejects.toBeInstanceOf(CorruptChunkError);
    await expect(attempt).rejects.toThrow(
      `chunk ${bad} (#2) of snapshot snap-badsrc01 in region ap-guangzhou is corrupt`,
    );
    expect(await target.hasChunk(bad)).toBe(false);
    expect(await target.getManifest('snap-badtgt01')).toBeNull();
  });

  it('refuses a missing source chunk and an unknown source snapshot', async () => {
    const manifest = await put(source, 'snap-gone0001', randomBytes(2 * chunkSize));
    await source.deleteChunk(manifest.chunks[0]!.digest);

    await expect(
      copySnapshot({
        accountId: 'acme',
        source,
        target,
        sourceSnapshotId: 'snap-gone0001',
        targetSnapshotId: 'snap-gone0002',
      }),
    ).rejects.toBeInstanceOf(MissingChunkError);
    await expect(
      copySnapshot({
        accountId: 'acme',
        source,
        target,
        sourceSnapshotId: 'snap-nothere1',
        targetSnapshotId: 'snap-nothere2',
      }),
    ).rejects.toBeInstanceOf(SnapshotNotFoundError);
  });

  it('never re-reads a chunk it skipped: reads go to the source, once per missing chunk', async () => {
    const first = randomBytes(8 * chunkSize);
    await put(source, 'snap-count001', first);
    await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-count001',
      targetSnapshotId: 'snap-count002',
    });
    // The next day's snapshot of the same disk: one chunk of eight changed.
    const second = Buffer.concat([first.subarray(0, 7 * chunkSize), randomBytes(chunkSize)]);
    await put(source, 'snap-count003', second);
    const reads = { source: 0, target: 0 };
    const counting = <T extends LocalRegionStore>(store: T, key: keyof typeof reads): T => {
      const wrapped = Object.create(store) as T;
      wrapped.getChunk = (digest, options) => {
        reads[key]++;
        return store.getChunk(digest, options);
      };
      return wrapped;
    };
    const result = await copySnapshot({
      accountId: 'acme',
      source: counting(source, 'source'),
      target: counting(target, 'target'),
      sourceSnapshotId: 'snap-count003',
      targetSnapshotId: 'snap-count004',
    });
    expect(result).toMatchObject({ chunksCopied: 1, chunksSkipped: 7 });
    expect(reads).toEqual({ source: 1, target: 0 });
    const copied = (await target.getManifest('snap-count004'))!;
    expect(copied.root).toBe((await source.getManifest('snap-count003'))!.root);
    expect((await buffer(readStream(target, copied))).equals(second)).toBe(true);
  });

  it('bit rot in a skipped target chunk never yields wrong bytes: reads fail, scrub finds and removes it, a new copy restores it', async () => {
    const image = randomBytes(3 * chunkSize);
    const manifest = await put(source, 'snap-shared01', image);
    await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-shared01',
      targetSnapshotId: 'snap-shared02',
    });
    const bad = manifest.chunks[1]!.digest;
    await flipByte(chunkFile(target, bad)); // bit rot in the target

    const options = {
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-shared01',
      targetSnapshotId: 'snap-shared03',
    };
    // The copy trusts the chunk it verified when it wrote it, as it must to scale...
    await expect(copySnapshot(options)).resolves.toMatchObject({
      chunksCopied: 0,
      chunksSkipped: 3,
    });
    // ...but no read ever returns the wrong bytes.
    const copied = (await target.getManifest('snap-shared03'))!;
    await expect(buffer(readStream(target, copied))).rejects.toBeInstanceOf(CorruptChunkError);

    const report = await target.scrub();
    expect(report.corrupt).toEqual([
      { digest: bad, snapshots: ['snap-shared02', 'snap-shared03'] },
    ]);
    expect(report).toMatchObject({ chunksChecked: 3, missing: [] });
    expect((await target.scrub()).missing).toEqual([
      { digest: bad, snapshots: ['snap-shared02', 'snap-shared03'] },
    ]);

    await expect(
      copySnapshot({ ...options, targetSnapshotId: 'snap-shared04' }),
    ).resolves.toMatchObject({ chunksCopied: 1, chunksSkipped: 2 });
    expect((await buffer(readStream(target, copied))).equals(image)).toBe(true);
  });

  it('verifySnapshot checks the whole-image digest', async () => {
    const manifest = await put(source, 'snap-verify01', randomBytes(2 * chunkSize));
    await expect(verifySnapshot(source, manifest)).resolves.toBeUndefined();
    await expect(
      verifySnapshot(source, { ...manifest, imageDigest: '0'.repeat(64) }),
    ).rejects.toBeInstanceOf(ImageDigestMismatchError);
  });

  it('runs two concurrent copies sharing chunks, and both verify', async () => {
    const base = randomBytes(6 * chunkSize);
    const other = Buffer.concat([base.subarray(0, 4 * chunkSize), randomBytes(2 * chunkSize)]);
    await put(source, 'snap-conc0001', base);
    await put(source, 'snap-conc0002', other);

    const [a, b] = await Promise.all([
      copySnapshot({
        accountId: 'acme',
        source,
        target,
        sourceSnapshotId: 'snap-conc0001',
        targetSnapshotId: 'snap-conc0011',
      }),
      copySnapshot({
        accountId: 'acme',
        source,
        target,
        sourceSnapshotId: 'snap-conc0002',
        targetSnapshotId: 'snap-conc0012',
      }),
    ]);

    // The 4 shared chunks are written once in total; each copy either wrote or skipped them.
    expect(a.chunksCopied + a.chunksSkipped).toBe(6);
    expect(b.chunksCopied + b.chunksSkipped).toBe(6);
    expect(a.chunksCopied + b.chunksCopied).toBeGreaterThanOrEqual(8);
    for (const id of ['snap-conc0011', 'snap-conc0012']) {
      const manifest = (await target.getManifest(id))!;
      await expect(verifySnapshot(target, manifest)).resolves.toBeUndefined();
    }
  });

  it('respects a bandwidth limit', async () => {
    await put(source, 'snap-slow0001', randomBytes(4 * chunkSize));
    const throttle = new Throttle(2 * chunkSize * 4, { burstBytes: chunkSize }); // 4 chunks at 8 chunks/s
    const started = performance.now();

    await copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-slow0001',
      targetSnapshotId: 'snap-slow0002',
      throttle,
    });

    // First chunk from the burst, then three more at 1/8 s each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('stops on abort and leaves no manifest, keeping the pending record until abandoned', async () => {
    await put(source, 'snap-abort001', randomBytes(4 * chunkSize));
    const controller = new AbortController();
    const attempt = copySnapshot({
      accountId: 'acme',
      source,
      target,
      sourceSnapshotId: 'snap-abort001',
      targetSnapshotId: 'snap-abort002',
      concurrency: 1,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });

    await expect(attempt).rejects.toThrow();
    expect(await target.getManifest('snap-abort002')).toBeNull();
    expect(await target.listPending()).toEqual(['snap-abort002']);
    await abandonCopy(target, 'snap-abort002');
    expect(await target.listPending()).toEqual([]);
    await collectGarbage(target, { graceMs: 0 });
    let left = 0;
    for await (const _ of target.listChunks()) left++;
    expect(left).toBe(0);
  });
});
