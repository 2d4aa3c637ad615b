import { createHash } from 'node:crypto';
import { chunkBuffers } from './chunk-buffers';
import {
  CorruptChunkError,
  ImageDigestMismatchError,
  InvalidManifestError,
  MissingChunkError,
  SnapshotExistsError,
  SnapshotNotFoundError,
} from './errors';
import { assertSnapshotId } from './ids';
import { buildManifest, type Manifest } from './manifest';
import type { RegionStore } from './region-store';
import type { Throttle } from './throttle';
import { readChunkOf } from './read-chunk';

export interface CopyProgress {
  phase: 'copying' | 'verifying';
  /** Bytes of the image accounted for (copied or already present, or verified). */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes actually transferred from the source. */
  bytesCopied: number;
  /** Distinct chunks: an image's repeated chunks (zeros) are transferred once. */
  chunksCopied: number;
  chunksSkipped: number;
  chunksTotal: number;
}

export interface CopyOptions {
  /** The account of both snapshots: the target skips only chunks this account references there. */
  accountId: string;
  source: RegionStore;
  target: RegionStore;
  sourceSnapshotId: string;
  /** The source's manifest, where the caller has just read it (else it is read here). */
  sourceManifest?: Manifest;
  targetSnapshotId: string;
  onProgress?: (progress: CopyProgress) => void;
  throttle?: Throttle;
  signal?: AbortSignal;
  /** Chunks transferred at once (default 8): keeps memory at a few chunks. */
  concurrency?: number;
  now?: () => Date;
}

export interface CopyResult {
  manifest: Manifest;
  bytesTotal: number;
  bytesCopied: number;
  chunksCopied: number;
  chunksSkipped: number;
  chunksTotal: number;
  /** The target already held the complete copy; nothing was done. */
  alreadyComplete: boolean;
}

/**
 * Copies a snapshot between regions, transferring only the chunks the target lacks (asked
 * once, in one batch), several at a time. Each transferred chunk is verified as the target
 * writes it; chunks the target already held were verified when they were written, so they are
 * not read again. Then, in the verifying phase, the target's manifest is built from the
 * source's chunk list (its root must match the source's) and the target writes it only once
 * every chunk is present (a missing one is copied again): nothing re-reads the image. Safe to
 * re-run after a crash or error: it resumes, moving only what is still missing. Until it completes (or `abandonCopy`), a pending record
 * keeps GC off the chunks it needs.
 */
export async function copySnapshot(options: CopyOptions): Promise<CopyResult> {
  const { accountId, source, target, sourceSnapshotId, targetSnapshotId, signal } = options;
  const writer = { accountId, snapshotId: targetSnapshotId };
  assertSnapshotId(sourceSnapshotId);
  assertSnapshotId(targetSnapshotId);
  const [sourceManifest, existing] = await Promise.all([
    options.sourceManifest ?? source.getManifest(sourceSnapshotId),
    target.getManifest(targetSnapshotId),
  ]);
  if (!sourceManifest) throw new SnapshotNotFoundError(source.region, sourceSnapshotId);
  if (sourceManifest.snapshotId !== sourceSnapshotId)
    throw new InvalidManifestError(sourceSnapshotId, `it is ${sourceManifest.snapshotId}'s`);
  if (sourceManifest.accountId !== undefined && sourceManifest.accountId !== accountId)
    throw new InvalidManifestError(sourceSnapshotId, 'it belongs to another account');

  if (existing) {
    if (existing.root !== sourceManifest.root)
      throw new SnapshotExistsError(target.region, targetSnapshotId);
    return { ...summary(sourceManifest, 0, 0, 0), manifest: existing, alreadyComplete: true };
  }

  const distinct = distinctChunks(sourceManifest);
  const digests = [...distinct.keys()];
  await target.addPending(targetSnapshotId, digests);
  const progress: CopyProgress = {
    phase: 'copying',
    bytesDone: 0,
    bytesTotal: sourceManifest.totalLength,
    bytesCopied: 0,
    chunksCopied: 0,
    chunksSkipped: 0,
    chunksTotal: distinct.size,
  };
  // One question for the whole image; it also restarts the held chunks' GC grace period.
  // Chunks that only other accounts sent to the target are fetched and verified like any
  // other: a copy reveals nothing of what others stored.
  let missing = new Set(await target.missingChunks(digests, accountId));
  for (const [digest, { size, count }] of distinct)
    if (!missing.has(digest)) {
      progress.chunksSkipped++;
      progress.bytesDone += size * count;
    }
  options.onProgress?.({ ...progress });

  const buffers = chunkBuffers();
  const copyOne = async (digest: string): Promise<void> => {
    signal?.throwIfAborted();
    const { size, count, firstIndex } = distinct.get(digest)!;
    await options.throttle?.take(size, signal);
    // Read into a reused shared buffer where the source is local (no fresh 4 MiB per chunk).
    const bytes = await readChunkOf(source, digest, sourceSnapshotId, firstIndex, false, buffers);
    try {
      await target.putChunk(digest, bytes, writer);
    } catch (error) {
      // The target verified what arrived: bytes that do not match are the source's fault.
      if (error instanceof CorruptChunkError)
        throw new CorruptChunkError(
          { digest, region: source.region, snapshotId: sourceSnapshotId, chunkIndex: firstIndex },
          error.actualDigest,
        );
      throw error;
    } finally {
      buffers.giveBack(bytes); // written (or refused): nothing holds it any more
    }
    progress.chunksCopied++;
    progress.bytesCopied += size;
    progress.bytesDone += size * count;
    options.onProgress?.({ ...progress });
  };
  const concurrency = options.concurrency ?? 8;
  await forEachLimited(missing.values(), concurrency, copyOne);

  options.onProgress?.({ ...progress, phase: 'verifying' });
  const targetManifest = buildManifest({
    ...sourceManifest,
    snapshotId: targetSnapshotId,
    accountId,
    createdAt: (options.now ?? (() => new Date()))(),
    copiedFrom: { region: source.region, snapshotId: sourceSnapshotId },
  });
  if (targetManifest.root !== sourceManifest.root)
    throw new InvalidManifestError(sourceSnapshotId, 'its root does not match its chunks');
  // The target writes the manifest only if every chunk is there: one that a scrub removed
  // meanwhile is copied again (the pending record keeps GC off them).
  for (let round = 0; ; round++) {
    try {
      await target.putManifest(targetManifest);
      break;
    } catch (error) {
      if (!(error instanceof MissingChunkError) || round === 2) throw error;
      missing = new Set(error.digests.filter((digest) => distinct.has(digest)));
      if (missing.size === 0) throw error;
      await forEachLimited(missing.values(), concurrency, copyOne);
    }
  }
  await target.deletePending(targetSnapshotId);
  const { bytesCopied, chunksCopied, chunksSkipped } = progress;
  return {
    ...summary(sourceManifest, bytesCopied, chunksCopied, chunksSkipped),
    manifest: targetManifest,
    alreadyComplete: false,
  };
}

/** Gives up on a copy for good: drops its pending record so GC may collect its chunks. */
export async function abandonCopy(target: RegionStore, targetSnapshotId: string): Promise<void> {
  await target.deletePending(targetSnapshotId);
}

/**
 * Re-reads every chunk of `manifest` from `store` in order, checking each chunk's digest and
 * the digest of the whole image. Copies do not need it; it is for tests and tools that want
 * the strongest check. Throws CorruptChunkError, MissingChunkError or ImageDigestMismatchError.
 */
export async function verifySnapshot(
  store: RegionStore,
  manifest: Manifest,
  { onProgress, signal }: { onProgress?: (bytesDone: number) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const image = createHash('sha256');
  let bytesDone = 0;
  for (const [index, chunk] of manifest.chunks.entries()) {
    signal?.throwIfAborted();
    const bytes = await readChunkOf(store, chunk.digest, manifest.snapshotId, index);
    image.update(bytes);
    bytesDone += bytes.length;
    onProgress?.(bytesDone);
  }
  const actual = image.digest('hex');
  // Without a whole-image digest (a snapshot made from changed ranges) each chunk's check is it.
  if (manifest.imageDigest !== undefined && actual !== manifest.imageDigest) {
    throw new ImageDigestMismatchError(
      store.region,
      manifest.snapshotId,
      manifest.imageDigest,
      actual,
    );
  }
}

interface DistinctChunk {
  size: number;
  count: number;
  firstIndex: number;
}

function distinctChunks(manifest: Manifest): Map<string, DistinctChunk> {
  const distinct = new Map<string, DistinctChunk>();
  manifest.chunks.forEach(({ digest, size }, index) => {
    const seen = distinct.get(digest);
    if (seen) seen.count++;
    else distinct.set(digest, { size, count: 1, firstIndex: index });
  });
  return distinct;
}

function summary(
  manifest: Manifest,
  bytesCopied: number,
  chunksCopied: number,
  chunksSkipped: number,
) {
  return {
    bytesTotal: manifest.totalLength,
    bytesCopied,
    chunksCopied,
    chunksSkipped,
    chunksTotal: new Set(manifest.chunks.map((c) => c.digest)).size,
  };
}

/** Runs `work` over `items` with at most `limit` at once; the first failure stops new work. */
async function forEachLimited<T>(
  items: Iterator<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let next = items.next(); !next.done && !failed; next = items.next()) {
      try {
        await work(next.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
