import type { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChunkBuffers } from '../chunk-buffers';
import { assertBytesHashTo } from '../chunking';
import {
  DEFAULT_GC_GRACE_MS,
  emptyGcStats,
  type GcOptions,
  type GcStats,
  type ScrubFinding,
  type ScrubReport,
} from '../region-maintenance';
import { CorruptChunkError, MissingChunkError } from '../errors';
import {
  assertAccountId,
  assertDigest,
  assertRegionId,
  assertSnapshotId,
  isSnapshotId,
} from '../ids';
import { parseManifest, validateManifest, type Manifest } from '../manifest';
import type { ChunkWriter, GetChunkOptions, RegionStore } from '../region-store';
import type { ChunkIndex } from './chunk-index';
import {
  isAlreadyThere,
  isNoSuchKey,
  objectStoreCall,
  type ObjectStoreCallOptions,
} from './object-store-calls';
import { signPayloadAs } from './payload-sha256';
import type { BucketRegion } from './s3-client';

/**
 * An object's body in one buffer: into a borrowed chunk buffer where the caller lends them and
 * the length is known (no concatenation of the socket's pieces, no fresh 4 MiB per chunk, and
 * the bytes lie on shared memory for the hashing thread); otherwise gathered. A body that ends
 * short or runs long gives back what it borrowed and fails, and the call is retried.
 */
async function readBody(
  body: AsyncIterable<Uint8Array>,
  length: number | undefined,
  buffers: ChunkBuffers | undefined,
): Promise<Buffer> {
  if (!buffers || length === undefined) {
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(Buffer.from(piece));
    return Buffer.concat(pieces);
  }
  const bytes = buffers.borrow(length);
  let filled = 0;
  try {
    for await (const piece of body) {
      if (filled + piece.byteLength > length)
        throw bodyLengthError(`the body runs past its ${length} bytes`);
      bytes.set(piece, filled);
      filled += piece.byteLength;
    }
    if (filled !== length)
      throw bodyLengthError(`the body ended at ${filled} of its ${length} bytes`);
    return bytes;
  } catch (error) {
    buffers.giveBack(bytes);
    throw error;
  }
}

/** A body whose length is not its Content-Length: a broken answer, retried like a reset. */
const bodyLengthError = (message: string) =>
  Object.assign(new Error(message), { code: 'EBODYLENGTH' });

/** Keys deleted per DeleteObjects call (S3's limit is 1,000). */
const DELETE_BATCH = 1_000;
/** Chunks GC decides about per index transaction. */
const GC_BATCH = 500;

export interface ObjectStoreRegionStoreOptions {
  /** How long a call keeps retrying while the bucket fails transiently (SNAPFERRY_REGION_RETRY_MS). */
  retryForMs?: number;
  /** A GC deletion still unfinished after this long died with its GC: a writer finishes it. */
  staleDeletionMs?: number;
  /** How often a writer looks again at a chunk GC is deleting. */
  pollMs?: number;
}

/**
 * A region whose chunks and manifests live in an S3-compatible bucket (AWS S3, COS, Ceph RGW,
 * MinIO), under `<prefix>`:
 *
 *   chunks/ab/ab34…ef           content-addressed chunk objects, immutable
 *   manifests/snap-xxxxxxxx.json one per complete snapshot, written last: the commit point
 *
 * and whose chunk index (which objects exist, what references each: writes in flight, accounts,
 * manifests) lives in the regions' PostgreSQL database (`ChunkIndex`), which makes GC safe
 * against concurrent writers in any process and answers dedup questions without listing the
 * bucket. Every chunk PUT is signed with the chunk's digest as its payload hash, so the object
 * store itself refuses damaged bytes (and a chunk is verified again on read). A chunk is written
 * with `If-None-Match: *`: an existing object (the same bytes, by its name) is never replaced.
 */
export class ObjectStoreRegionStore implements RegionStore {
  private readonly prefix: string;
  private readonly bucketName: string;
  private readonly calls: Omit<ObjectStoreCallOptions, 'signal'>;
  private readonly staleDeletionMs: number;
  private readonly pollMs: number;
  private ready: Promise<void> | undefined;

  constructor(
    readonly region: string,
    private readonly bucket: BucketRegion,
    private readonly client: () => Promise<S3Client>,
    private readonly index: ChunkIndex,
    options: ObjectStoreRegionStoreOptions = {},
  ) {
    assertRegionId(region);
    this.prefix = bucket.objectStore.prefix;
    this.bucketName = bucket.objectStore.bucket;
    this.calls = {
      region,
      where: `bucket "${this.bucketName}"${this.prefix ? ` prefix "${this.prefix}"` : ''} at ${bucket.objectStore.endpoint}`,
      retryForMs: options.retryForMs ?? 10 * 60 * 1000,
    };
    this.staleDeletionMs = options.staleDeletionMs ?? 60_000;
    this.pollMs = options.pollMs ?? 100;
  }

  private chunkKey(digest: string): string {
    assertDigest(digest);
    return `${this.prefix}chunks/${digest.slice(0, 2)}/${digest}`;
  }
  private manifestKey(snapshotId: string): string {
    assertSnapshotId(snapshotId);
    return `${this.prefix}manifests/${snapshotId}.json`;
  }

  /** The index's tables, created once per process before the first call. */
  private prepared(): Promise<void> {
    this.ready ??= this.index.migrate().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async s3<T>(
    what: string,
    run: (client: S3Client, sdk: typeof import('@aws-sdk/client-s3')) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const [client, sdk] = await Promise.all([this.client(), import('@aws-sdk/client-s3')]);
    return objectStoreCall(what, () => run(client, sdk), {
      ...this.calls,
      ...(signal ? { signal } : {}),
    });
  }

  async missingChunks(digests: readonly string[], accountId: string): Promise<string[]> {
    digests.forEach(assertDigest);
    assertAccountId(accountId);
    await this.prepared();
    const distinct = [...new Set(digests)];
    const standing = await this.index.standing(distinct, accountId);
    return distinct.filter((digest) => {
      const s = standing.get(digest);
      return !s?.stored || !s.owned;
    });
  }

  async putChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    await assertBytesHashTo(digest, bytes, this.region);
    return this.putVerifiedChunk(digest, bytes, writer);
  }

  /**
   * Bytes the caller hashed to `digest`: the account references the chunk from now on; the
   * object is written unless the bucket holds it already (then nothing moves). True if the
   * account did not reference it before.
   */
  async putVerifiedChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    assertDigest(digest);
    assertAccountId(writer.accountId);
    assertSnapshotId(writer.snapshotId);
    await this.prepared();
    const heldBefore = (await this.index.standing([digest], writer.accountId)).get(digest)?.owned;
    for (;;) {
      const state = await this.index.reserve(digest, bytes.length, {
        snapshotId: writer.snapshotId,
        kind: 'received',
        accountId: writer.accountId,
      });
      if (state === 'stored') return !heldBefore;
      if (state === 'deleting') {
        await this.waitForDeletion(digest);
        continue;
      }
      await this.writeObject(digest, bytes);
      await this.index.markStored(digest);
      return !heldBefore;
    }
  }

  /** PUT of a chunk object: its digest as the signed payload hash; an existing one is kept. */
  private async writeObject(digest: string, bytes: Uint8Array): Promise<void> {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.s3(`chunk ${digest}`, async (client, { PutObjectCommand }) => {
      const put = new PutObjectCommand({
        Bucket: this.bucketName,
        Key: this.chunkKey(digest),
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        IfNoneMatch: '*',
      });
      try {
        await client.send(signPayloadAs(put, digest));
      } catch (error) {
        if (!isAlreadyThere(error)) throw error; // another writer stored these very bytes
      }
    });
  }

  /** Waits while GC deletes the chunk's object; finishes a deletion whose GC died. */
  private async waitForDeletion(digest: string): Promise<void> {
    for (;;) {
      const age = await this.index.deletingSince(digest);
      if (age === null) return;
      if (age > this.staleDeletionMs) {
        await this.deleteObjects([digest]);
        await this.index.forget([digest]);
        return;
      }
      await sleep(this.pollMs);
    }
  }

  async getChunk(
    digest: string,
    { verify = true, buffers }: GetChunkOptions = {},
  ): Promise<Buffer> {
    const key = this.chunkKey(digest);
    const bytes = await this.s3(`chunk ${digest}`, async (client, { GetObjectCommand }) => {
      try {
        const answer = await client.send(
          new GetObjectCommand({ Bucket: this.bucketName, Key: key }),
        );
        return await readBody(
          answer.Body as AsyncIterable<Uint8Array>,
          answer.ContentLength,
          buffers,
        );
      } catch (error) {
        if (isNoSuchKey(error)) return null;
        throw error;
      }
    });
    if (!bytes) throw new MissingChunkError({ digest, region: this.region });
    if (!verify) return bytes;
    await assertBytesHashTo(digest, bytes, this.region);
    return bytes;
  }

  /**
   * The commit point. The index first takes the manifest's references, refusing unless every
   * chunk is stored and the account's (share-locked, so GC cannot take one meanwhile); then the
   * manifest object is written. A crash between the two leaves references without a manifest,
   * which GC drops after the grace period; never a manifest whose chunks may go.
   */
  async putManifest(manifest: Manifest): Promise<void> {
    validateManifest(manifest, manifest.snapshotId);
    const { accountId, snapshotId } = manifest;
    assertAccountId(accountId);
    await this.prepared();
    const digests = manifest.chunks.map((c) => c.digest);
    const unusable = await this.index.commitManifest(snapshotId, accountId, digests);
    if (unusable.length > 0)
      throw new MissingChunkError(
        { digest: unusable[0]!, region: this.region, snapshotId },
        unusable,
      );
    const body = Buffer.from(JSON.stringify(manifest));
    await this.s3(`the manifest of ${snapshotId}`, (client, { PutObjectCommand }) =>
      client.send(
        new PutObjectCommand({
          Bucket: this.bucketName,
          Key: this.manifestKey(snapshotId),
          Body: body,
          ContentLength: body.length,
          ContentType: 'application/json',
        }),
      ),
    );
  }

  async getManifest(snapshotId: string): Promise<Manifest | null> {
    const key = this.manifestKey(snapshotId);
    const text = await this.s3(
      `the manifest of ${snapshotId}`,
      async (client, { GetObjectCommand }) => {
        try {
          const answer = await client.send(
            new GetObjectCommand({ Bucket: this.bucketName, Key: key }),
          );
          return await answer.Body!.transformToString('utf8');
        } catch (error) {
          if (isNoSuchKey(error)) return null;
          throw error;
        }
      },
    );
    if (text === null) return null;
    return parseManifest(text, snapshotId);
  }

  async deleteManifest(snapshotId: string): Promise<boolean> {
    const key = this.manifestKey(snapshotId);
    await this.prepared();
    const existed = await this.s3(
      `the manifest of ${snapshotId}`,
      async (client, { HeadObjectCommand, DeleteObjectCommand }) => {
        let there = true;
        try {
          await client.send(new HeadObjectCommand({ Bucket: this.bucketName, Key: key }));
        } catch (error) {
          if (!isNoSuchKey(error)) throw error;
          there = false;
        }
        await client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: key }));
        return there;
      },
    );
    // The object first: references without a manifest are only kept chunks (GC drops them).
    await this.index.dropRefs(snapshotId, ['manifest']);
    return existed;
  }

  async listManifests(): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of this.listKeys(`${this.prefix}manifests/`)) {
      const id = key.slice(`${this.prefix}manifests/`.length).replace(/\.json$/, '');
      if (key.endsWith('.json') && isSnapshotId(id)) ids.push(id);
    }
    return ids.sort();
  }

  private async *listKeys(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.s3(
        `the list of ${prefix}`,
        (client, { ListObjectsV2Command }) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: this.bucketName,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          ),
        signal,
      );
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async addPending(snapshotId: string, digests: readonly string[]): Promise<void> {
    assertSnapshotId(snapshotId);
    digests.forEach(assertDigest);
    await this.prepared();
    await this.index.addRefs(snapshotId, 'pending', digests);
  }

  async deletePending(snapshotId: string): Promise<boolean> {
    assertSnapshotId(snapshotId);
    await this.prepared();
    return (await this.index.dropRefs(snapshotId, ['pending', 'received'])) > 0;
  }

  async listPending(): Promise<string[]> {
    await this.prepared();
    return this.index.snapshotsWith('pending');
  }

  private async deleteObjects(digests: readonly string[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < digests.length; i += DELETE_BATCH) {
      const keys = digests.slice(i, i + DELETE_BATCH).map((d) => ({ Key: this.chunkKey(d) }));
      const answer = await this.s3(
        `deleting ${keys.length} chunks`,
        (client, { DeleteObjectsCommand }) =>
          client.send(
            new DeleteObjectsCommand({
              Bucket: this.bucketName,
              Delete: { Objects: keys, Quiet: true },
            }),
          ),
        signal,
      );
      const failed = answer.Errors ?? [];
      if (failed.length > 0)
        throw new Error(
          `region ${this.region}: the bucket refused to delete ${failed.length} chunks (${failed[0]?.Code}: ${failed[0]?.Message})`,
        );
    }
  }

  /**
   * Mark-and-sweep on the index (the bucket is never listed for chunks): unreferenced chunks
   * older than the grace period are decided on in batches under row locks (ChunkIndex.doom),
   * their objects deleted, then their rows. Deletions a dead GC left half done are finished,
   * and manifest references without a manifest object (a crash between the two) are dropped.
   */
  async collectGarbage({
    graceMs = DEFAULT_GC_GRACE_MS,
    now = () => Date.now(),
    signal,
  }: GcOptions = {}): Promise<GcStats> {
    await this.prepared();
    const cutoff = new Date(now() - graceMs);
    const stats: GcStats = emptyGcStats();
    const manifests = new Set(await this.listManifests());
    stats.manifests = manifests.size;
    stats.pending = (await this.index.snapshotsWith('pending')).length;
    stats.tempFilesDeleted = await this.index.dropManifestRefsExcept(manifests, cutoff);
    let after = '';
    for (;;) {
      signal?.throwIfAborted();
      const batch = await this.index.candidates(cutoff, GC_BATCH, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!;
      stats.passes++;
      stats.chunksScanned += batch.length;
      const doomed = await this.index.doom(batch);
      stats.chunksReferenced += batch.length - doomed.length;
      if (doomed.length === 0) continue;
      await this.deleteObjects(
        doomed.map((d) => d.digest),
        signal,
      );
      await this.index.forget(doomed.map((d) => d.digest));
      stats.chunksDeleted += doomed.length;
      stats.bytesFreed += doomed.reduce((sum, d) => sum + d.size, 0);
    }
    return stats;
  }

  /**
   * Re-reads and re-verifies every stored chunk: a corrupt or vanished object is reported with
   * the snapshots that name it and forgotten by the index, so the next upload or copy of those
   * snapshots stores it again.
   */
  async scrub({ signal }: { signal?: AbortSignal } = {}): Promise<ScrubReport> {
    await this.prepared();
    const report: ScrubReport = {
      region: this.region,
      chunksChecked: 0,
      bytesChecked: 0,
      corrupt: [],
      missing: [],
    };
    const finding = async (digest: string): Promise<ScrubFinding> => ({
      digest,
      snapshots: await this.index.manifestsNaming(digest),
    });
    let after = '';
    for (;;) {
      const batch = await this.index.stored(GC_BATCH, after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.digest;
      for (const { digest } of batch) {
        signal?.throwIfAborted();
        try {
          const bytes = await this.getChunk(digest);
          report.bytesChecked += bytes.length;
        } catch (error) {
          if (error instanceof CorruptChunkError) {
            report.corrupt.push(await finding(digest));
            await this.deleteObjects([digest], signal);
          } else if (error instanceof MissingChunkError) report.missing.push(await finding(digest));
          else throw error;
          await this.index.drop(digest);
        }
        report.chunksChecked++;
      }
    }
    const reported = new Set([...report.missing, ...report.corrupt].map((f) => f.digest));
    for (const digest of await this.index.unstoredManifestChunks())
      if (!reported.has(digest)) report.missing.push(await finding(digest));
    return report;
  }
}
