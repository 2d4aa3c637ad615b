import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Pool } from 'pg';
import {
  type CephRgw,
  cephRgwAvailable,
  createTestDatabase,
  startCephRgw,
  type TestDatabase,
} from '@snapferry/testing';
import { ChunkBuffers } from '../chunk-buffers';
import { sha256Hex } from '../chunking';
import { copySnapshot } from '../copy-snapshot';
import { CorruptChunkError, MissingChunkError, StorageFullError } from '../errors';
import { FilesystemRegionStore } from '../filesystem/filesystem-region-store';
import { buildManifest } from '../manifest';
import { readStream } from '../read-stream';
import { storeStream } from '../store-stream';
import { ChunkIndex } from './chunk-index';
import { ObjectStoreRegionStore } from './object-store-region-store';
import { credentialVariables } from './region-credentials';
import { type BucketRegion, createS3Client } from './s3-client';

const chunkSize = 64 * 1024;
const bucket = 'snapferry-ap-tokyo';
const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`object-store region store tests skipped: ${ceph.reason}`);

(ceph.ok ? describe : describe.skip)('ObjectStoreRegionStore against Ceph RGW', () => {
  let rgw: CephRgw;
  let db: TestDatabase;
  let pool: Pool;
  let dataDir: string;
  let tokyo: BucketRegion;
  let n = 0;
  /** The region's own keys, as an operator sets them. */
  const keysFor = (region: string): NodeJS.ProcessEnv => {
    const names = credentialVariables(region);
    return { [names.accessKeyId]: rgw.accessKeyId, [names.secretAccessKey]: rgw.secretAccessKey };
  };

  beforeAll(async () => {
    [rgw, db] = await Promise.all([startCephRgw({ bucket }), createTestDatabase('sf_s3')]);
    pool = new Pool({ connectionString: db.url, max: 8 });
    dataDir = await mkdtemp(join(tmpdir(), 'snapferry-s3-'));
  }, 180_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    await rgw?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A store on its own prefix (and index schema: one region per test). */
  const made: ObjectStoreRegionStore[] = [];
  const clients: Promise<import('@aws-sdk/client-s3').S3Client>[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) (await client).destroy();
    made.length = 0;
  });
  function newStore(options = {}): { store: ObjectStoreRegionStore; index: ChunkIndex } {
    const region = `ap-tokyo${++n === 1 ? '' : `-t${n}`}`;
    tokyo = {
      id: region,
      objectStore: {
        endpoint: rgw.endpoint,
        bucket,
        prefix: `t${n}/`,
        region: rgw.region,
        forcePathStyle: true,
      },
    };
    const client = createS3Client(tokyo, keysFor(region));
    clients.push(client);
    const index = new ChunkIndex(pool, region);
    const store = new ObjectStoreRegionStore(region, tokyo, () => client, index, {
      retryForMs: 20_000,
      ...options,
    });
    made.push(store);
    return { store, index };
  }
  const alice = (snapshotId: string) => ({ accountId: 'alice', snapshotId });
  const upload = (store: ObjectStoreRegionStore, id: string, image: Buffer, accountId = 'alice') =>
    storeStream(store, id, Readable.from([image]), { accountId, chunkSize });

  it('round-trips an image: chunks, manifest last, reads back verified', async () => {
    const { store } = newStore();
    const image = randomBytes(5 * chunkSize + 17);
    const manifest = await upload(store, 'snap-s3round1', image);
    expect(await store.listManifests()).toEqual(['snap-s3round1']);
    expect(await store.getManifest('snap-s3round1')).toEqual(manifest);
    expect((await buffer(readStream(store, manifest))).equals(image)).toBe(true);
    expect(await store.getManifest('snap-s3none01')).toBeNull();
    expect(await store.listPending()).toEqual([]);
  });

  it('reads a chunk into a borrowed shared buffer (no gathering), which goes back for the next read', async () => {
    const { store } = newStore();
    const bytes = randomBytes(chunkSize);
    const digest = sha256Hex(bytes);
    await store.putChunk(digest, bytes, alice('snap-s3borrow'));
    const buffers = new ChunkBuffers();
    const first = await store.getChunk(digest, { buffers });
    expect(first.equals(bytes)).toBe(true);
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    buffers.giveBack(first);
    expect(buffers.idleByteLength).toBe(chunkSize);
    const second = await store.getChunk(digest, { buffers, verify: false });
    expect(second.buffer).toBe(first.buffer); // the same memory, lent again
    expect(second.equals(bytes)).toBe(true);
    // a chunk that is not there borrows nothing
    buffers.giveBack(second);
    await expect(store.getChunk(sha256Hex(randomBytes(8)), { buffers })).rejects.toBeInstanceOf(
      MissingChunkError,
    );
    expect(buffers.idleByteLength).toBe(chunkSize);
  });

  it('dedup never crosses accounts on a bucket either', async () => {
    const { store } = newStore();
    const bytes = randomBytes(1000);
    const digest = sha256Hex(bytes);
    expect(await store.putChunk(digest, bytes, alice('snap-s3acct01'))).toBe(true);
    expect(await store.putChunk(digest, bytes, alice('snap-s3acct01'))).toBe(false);
    expect(await store.missingChunks([digest], 'alice')).toEqual([]);
    expect(await store.missingChunks([digest], 'bob')).toEqual([digest]);
    const manifest = (accountId: string, snapshotId: string) =>
      buildManifest({
        snapshotId,
        accountId,
        chunkSize: 1000,
        chunks: [{ digest, size: 1000 }],
        imageDigest: digest,
        createdAt: new Date(),
      });
    await expect(store.putManifest(manifest('bob', 'snap-s3acct02'))).rejects.toBeInstanceOf(
      MissingChunkError,
    );
    await store.putManifest(manifest('alice', 'snap-s3acct01'));
    await store.deletePending('snap-s3acct01');
    expect(await store.missingChunks([digest], 'alice')).toEqual([]);
    expect(await store.deleteManifest('snap-s3acct01')).toBe(true);
    expect(await store.deleteManifest('snap-s3acct01')).toBe(false);
    expect(await store.missingChunks([digest], 'alice')).toEqual([digest]);
  });

  it('the bucket itself refuses bytes that do not hash to the digest', async () => {
    const { store } = newStore();
    const bytes = randomBytes(500);
    const wrong = sha256Hex(randomBytes(500));
    await expect(store.putChunk(wrong, bytes, alice('snap-s3bad001'))).rejects.toBeInstanceOf(
      CorruptChunkError,
    );
    // Even a caller that claims to have hashed the bytes cannot store them under another name.
    await expect(store.putVerifiedChunk(wrong, bytes, alice('snap-s3bad001'))).rejects.toThrow(
      /XAmzContentSHA256Mismatch/,
    );
    await expect(store.getChunk(wrong)).rejects.toBeInstanceOf(MissingChunkError);
  });

  it('copies between a bucket and a filesystem region, both ways, byte-identical; a second copy moves nothing', async () => {
    const { store } = newStore();
    const disk = new FilesystemRegionStore(dataDir, 'ap-beijing');
    const image = randomBytes(6 * chunkSize + 1);
    await storeStream(disk, 'snap-s3fs0001', Readable.from([image]), {
      accountId: 'alice',
      chunkSize,
    });
    const toBucket = await copySnapshot({
      accountId: 'alice',
      source: disk,
      target: store,
      sourceSnapshotId: 'snap-s3fs0001',
      targetSnapshotId: 'snap-s3fs0002',
    });
    expect(toBucket).toMatchObject({ chunksCopied: 7, chunksSkipped: 0 });
    const back = await copySnapshot({
      accountId: 'alice',
      source: store,
      target: disk,
      sourceSnapshotId: 'snap-s3fs0002',
      targetSnapshotId: 'snap-s3fs0003',
    });
    expect(back).toMatchObject({ chunksCopied: 0, chunksSkipped: 7 }); // alice has them there
    const copied = (await store.getManifest('snap-s3fs0002'))!;
    expect((await buffer(readStream(store, copied))).equals(image)).toBe(true);
    const again = await copySnapshot({
      accountId: 'alice',
      source: disk,
      target: store,
      sourceSnapshotId: 'snap-s3fs0001',
      targetSnapshotId: 'snap-s3fs0004',
    });
    expect(again).toMatchObject({ chunksCopied: 0, chunksSkipped: 7 });
  });

  it('GC deletes what nothing references (leftovers of an abandoned write too) and keeps the rest', async () => {
    const { store } = newStore();
    const kept = await upload(store, 'snap-s3gc0001', randomBytes(3 * chunkSize));
    // An upload that died: its chunks are in the bucket, its write abandoned.
    const lost = randomBytes(chunkSize);
    await store.addPending('snap-s3gc0002', [sha256Hex(lost)]);
    await store.putChunk(sha256Hex(lost), lost, alice('snap-s3gc0002'));
    expect((await store.collectGarbage({ graceMs: 0 })).chunksDeleted).toBe(0); // still pending
    await store.deletePending('snap-s3gc0002');
    const stats = await store.collectGarbage({ graceMs: 0 });
    expect(stats).toMatchObject({ chunksDeleted: 1, bytesFreed: chunkSize, manifests: 1 });
    await expect(store.getChunk(sha256Hex(lost))).rejects.toBeInstanceOf(MissingChunkError);
    expect((await buffer(readStream(store, kept))).length).toBe(3 * chunkSize);
    // Within the grace period nothing goes.
    await store.deleteManifest('snap-s3gc0001');
    expect((await store.collectGarbage({ graceMs: 60_000 })).chunksDeleted).toBe(0);
    expect((await store.collectGarbage({ graceMs: 0 })).chunksDeleted).toBe(3);
  });

  it('GC racing a writer that relies on a chunk: the writer either keeps it or writes it again, never loses it', async () => {
    // Interleaving: GC has listed the chunk as a candidate (nothing referenced it) and is about
    // to decide; a copy now records that it needs the chunk and finds it present. Without the
    // index's locks GC would delete the object the copy is about to name in its manifest.
    const { store, index } = newStore();
    const bytes = randomBytes(chunkSize);
    const digest = sha256Hex(bytes);
    await store.putChunk(digest, bytes, alice('snap-s3race01'));
    await store.deletePending('snap-s3race01'); // unreferenced now: a GC candidate
    const candidates = await index.candidates(new Date(Date.now() + 1000), 10);
    expect(candidates).toEqual([digest]);

    // The writer's step 1 (its reference and the share-locked read) runs first…
    await store.addPending('snap-s3race02', [digest]);
    expect(await store.missingChunks([digest], 'alice')).toEqual([digest]); // not alice's any more
    // …then GC decides: the reference is there, so nothing is doomed.
    expect(await index.doom(candidates)).toEqual([]);
    await store.putChunk(digest, bytes, alice('snap-s3race02'));
    await store.putManifest(
      buildManifest({
        snapshotId: 'snap-s3race02',
        accountId: 'alice',
        chunkSize,
        chunks: [{ digest, size: chunkSize }],
        imageDigest: digest,
        createdAt: new Date(),
      }),
    );
    expect((await store.collectGarbage({ graceMs: 0 })).chunksDeleted).toBe(0);
    expect((await store.getChunk(digest)).equals(bytes)).toBe(true);
  });

  it('GC that decided first: a writer arriving during the deletion waits, then stores the chunk again', async () => {
    const { store, index } = newStore({ pollMs: 20 });
    const bytes = randomBytes(chunkSize);
    const digest = sha256Hex(bytes);
    await store.putChunk(digest, bytes, alice('snap-s3race03'));
    await store.deletePending('snap-s3race03');
    // GC's decision commits (the row is `deleting`); its object delete has not happened yet.
    expect(await index.doom([digest])).toEqual([{ digest, size: chunkSize }]);
    const writer = store.putChunk(digest, bytes, alice('snap-s3race04'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // GC finishes: object, then row. The writer, which waited, writes the object anew.
    const s3 = await createS3Client(tokyo, keysFor(tokyo.id));
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: `${tokyo.objectStore.prefix}chunks/${digest.slice(0, 2)}/${digest}`,
      }),
    );
    s3.destroy();
    await index.forget([digest]);
    expect(await writer).toBe(true);
    expect((await store.getChunk(digest)).equals(bytes)).toBe(true);
    expect(await store.missingChunks([digest], 'alice')).toEqual([]);
  });

  it('scrub finds a chunk damaged or removed in the bucket and names the snapshots', async () => {
    const { store } = newStore();
    const manifest = await upload(store, 'snap-s3scrub1', randomBytes(2 * chunkSize));
    const [first, second] = manifest.chunks;
    const s3 = await createS3Client(tokyo, keysFor(tokyo.id));
    const { PutObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const key = (d: string) => `${tokyo.objectStore.prefix}chunks/${d.slice(0, 2)}/${d}`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key(first!.digest), Body: randomBytes(10) }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(second!.digest) }));
    s3.destroy();
    const report = await store.scrub();
    expect(report.corrupt).toEqual([{ digest: first!.digest, snapshots: ['snap-s3scrub1'] }]);
    expect(report.missing).toEqual([{ digest: second!.digest, snapshots: ['snap-s3scrub1'] }]);
    // A new upload of the same bytes restores them.
    expect(await store.missingChunks([first!.digest, second!.digest], 'alice')).toEqual([
      first!.digest,
      second!.digest,
    ]);
  });

  it('rides out a gateway restart in the middle of a copy: resumes, moves each chunk once', async () => {
    const { store } = newStore();
    const disk = new FilesystemRegionStore(dataDir, 'ap-nanjing');
    const image = randomBytes(24 * chunkSize);
    await storeStream(disk, 'snap-s3rst001', Readable.from([image]), {
      accountId: 'alice',
      chunkSize,
    });
    let restarted: Promise<void> | undefined;
    const result = await copySnapshot({
      accountId: 'alice',
      source: disk,
      target: store,
      sourceSnapshotId: 'snap-s3rst001',
      targetSnapshotId: 'snap-s3rst002',
      concurrency: 2,
      onProgress: (p) => {
        if (p.chunksCopied === 4 && !restarted)
          restarted = rgw.restartGateway({ signal: 'SIGKILL' });
      },
    });
    await restarted;
    expect(result).toMatchObject({ chunksCopied: 24, chunksSkipped: 0 });
    const copied = (await store.getManifest('snap-s3rst002'))!;
    expect((await buffer(readStream(store, copied))).equals(image)).toBe(true);
  }, 120_000);

  it('a bucket over its quota fails a write as a full store does', async () => {
    const { store } = newStore();
    await rgw.setBucketQuota(bucket, 1024 * 1024);
    try {
      const attempt = upload(store, 'snap-s3full01', randomBytes(2 * 1024 * 1024));
      await expect(attempt).rejects.toBeInstanceOf(StorageFullError);
    } finally {
      await rgw.setBucketQuota(bucket, null);
    }
  }, 60_000);
});
