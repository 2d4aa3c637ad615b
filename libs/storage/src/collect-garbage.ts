import type { LocalRegionStore } from './region-store';

export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;
/** Candidates checked per pass over the manifests: bounds memory whatever the region holds. */
export const DEFAULT_GC_BATCH = 50_000;

export interface GcStats {
  manifests: number;
  pending: number;
  chunksScanned: number;
  /** Old chunks that a manifest or pending write still referenced. */
  chunksReferenced: number;
  chunksDeleted: number;
  bytesFreed: number;
  tempFilesDeleted: number;
  /** Passes over the manifests (one per batch of old chunks). */
  passes: number;
}

/** Statistics of a GC that has not found anything yet. */
export const emptyGcStats = (): GcStats => ({
  manifests: 0,
  pending: 0,
  chunksScanned: 0,
  chunksReferenced: 0,
  chunksDeleted: 0,
  bytesFreed: 0,
  tempFilesDeleted: 0,
  passes: 0,
});

export interface GcOptions {
  graceMs?: number;
  now?: () => number;
  /** Old chunks collected per pass; memory holds one batch, not the region. */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * Mark-and-sweep in bounded memory: old chunks are listed in batches, and each batch is
 * checked against every pending record and manifest (read one at a time), so memory holds
 * one batch whatever the region's size. Pending records are read before manifests: a write
 * that finishes meanwhile has put its manifest before dropping its record, so one of the two
 * is seen. A chunk is deleted only if nobody touched it since the cutoff
 * (`deleteChunkIfOlder`), so a copy or upload that starts using it mid-run keeps it.
 */
export async function collectGarbage(
  store: LocalRegionStore,
  {
    graceMs = DEFAULT_GC_GRACE_MS,
    now = () => Date.now(),
    batchSize = DEFAULT_GC_BATCH,
    signal,
  }: GcOptions = {},
): Promise<GcStats> {
  const cutoff = now() - graceMs;
  const stats = emptyGcStats();
  let batch = new Set<string>();

  const sweep = async (): Promise<void> => {
    if (batch.size === 0) return;
    const candidates = batch;
    batch = new Set();
    stats.passes++;
    const before = candidates.size;
    const pendingIds = await store.listPending();
    stats.pending = pendingIds.length;
    for (const id of pendingIds) {
      signal?.throwIfAborted();
      for (const digest of (await store.getPending(id)) ?? []) candidates.delete(digest);
    }
    const manifestIds = await store.listManifests();
    stats.manifests = manifestIds.length;
    for (const id of manifestIds) {
      signal?.throwIfAborted();
      const manifest = await store.getManifest(id);
      for (const chunk of manifest?.chunks ?? []) candidates.delete(chunk.digest);
    }
    stats.chunksReferenced += before - candidates.size;
    for (const digest of candidates) {
      signal?.throwIfAborted();
      const freed = await store.deleteChunkIfOlder(digest, cutoff);
      if (freed === null) continue;
      stats.chunksDeleted++;
      stats.bytesFreed += freed;
    }
  };

  for await (const chunk of store.listChunks()) {
    signal?.throwIfAborted();
    stats.chunksScanned++;
    if (chunk.mtimeMs <= cutoff) batch.add(chunk.digest);
    if (batch.size >= batchSize) await sweep();
  }
  await sweep();
  signal?.throwIfAborted();
  stats.tempFilesDeleted = await store.sweepTempFiles(cutoff);
  return stats;
}
