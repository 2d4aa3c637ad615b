import { createHash } from 'node:crypto';
import {
  CorruptChunkError,
  ImageDigestMismatchError,
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
  source: RegionStore;
  target: RegionStore;
  sourceSnapshotId: string;
  targetSnapshotId: string;
  onProgress?: (progress: CopyProgress) => void;
  throttle?: Throttle;
  signal?: AbortSignal;
  /** Chunks transferred at once (default 4): keeps memory at a few chunks. */
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
 * Copies a snapshot between regions, transferring only the chunks the target lacks,
 * then verifies the target's copy and only then writes its manifest. Safe to re-run
 * after a crash or error: it resumes, moving only what is still missing. Until it
 * completes (or `abandonCopy`), a pending record keeps GC off the chunks it needs.
 */
export async function copySnapshot(options: CopyOptions): Promise<CopyResult> {
  const { source, target, sourceSnapshotId, targetSnapshotId, signal } = options;
  assertSnapshotId(sourceSnapshotId);
  assertSnapshotId(targetSnapshotId);
  const sourceManifest = await source.getManifest(sourceSnapshotId);
  if (!sourceManifest) throw new SnapshotNotFoundError(source.region, sourceSnapshotId);

  const existing = await target.getManifest(targetSnapshotId);
  if (existing) {
    if (existing.imageDigest !== sourceManifest.imageDigest) {
      throw new SnapshotExistsError(target.region, targetSnapshotId);
    }
    return { ...summary(sourceManifest, 0, 0, 0), manifest: existing, alreadyComplete: true };
  }

  const distinct = distinctChunks(sourceManifest);
  await target.addPending(targetSnapshotId, [...distinct.keys()]);
  const progress: CopyProgress = {
    phase: 'copying',
    bytesDone: 0,
    bytesTotal: sourceManifest.totalLength,
    bytesCopied: 0,
    chunksCopied: 0,
    chunksSkipped: 0,
    chunksTotal: distinct.size,
  };

  const copyOne = async ([digest, { size, count, firstIndex }]: [
    string,
    DistinctChunk,
  ]): Promise<void> => {
    signal?.throwIfAborted();
    // touchChunk doubles as the existence check, and restarts the chunk's GC grace period.
    if (await target.touchChunk(digest)) {
      progress.chunksSkipped++;
    } else {
      await options.throttle?.take(size, signal);
      const bytes = await readChunkOf(source, digest, sourceSnapshotId, firstIndex);
      await target.putChunk(digest, bytes);
      progress.chunksCopied++;
      progress.bytesCopied += size;
    }
    progress.bytesDone += size * count;
    options.onProgress?.({ ...progress });
  };
  await forEachLimited(distinct.entries(), options.concurrency ?? 4, copyOne);

  const targetManifest = buildManifest({
    ...sourceManifest,
    snapshotId: targetSnapshotId,
    createdAt: (options.now ?? (() => new Date()))(),
    copiedFrom: { region: source.region, snapshotId: sourceSnapshotId },
  });
  await verifyOrRepair(
    target,
    targetManifest,
    (bytesDone) => options.onProgress?.({ ...progress, phase: 'verifying', bytesDone }),
    signal,
  );
  await target.putManifest(targetManifest);
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
 * Re-reads every chunk of `manifest` from `store` in order, checking each chunk's
 * digest and the digest of the whole image. Throws CorruptChunkError,
 * MissingChunkError or ImageDigestMismatchError.
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
  if (actual !== manifest.imageDigest) {
    throw new ImageDigestMismatchError(
      store.region,
      manifest.snapshotId,
      manifest.imageDigest,
      actual,
    );
  }
}

/** A corrupt chunk found in the target is deleted, so the retry copies it afresh. */
async function verifyOrRepair(
  target: RegionStore,
  manifest: Manifest,
  onProgress: (bytesDone: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await verifySnapshot(target, manifest, { onProgress, signal });
  } catch (error) {
    if (error instanceof CorruptChunkError) await target.deleteChunk(error.location.digest);
    throw error;
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
