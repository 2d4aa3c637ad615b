import type { LocalRegionStore } from '../region-store';
import {
  DEFAULT_GC_GRACE_MS,
  emptyGcStats,
  type GcOptions,
  type GcStats,
} from '../region-maintenance';

/** Candidates checked per pass over the manifests: bounds memory whatever the region holds. */
export const DEFAULT_GC_BATCH = 50_000;

/** Statistics of a GC that has not found anything yet. */
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
  // The whole chunks patches lie over, listed before any sweep: each stays while a patch names
  // it. A patch written after this listing refreshed its whole chunk's age first (the grace
  // period keeps it this run), and one this run deletes frees its whole chunk the next run.
  const patchBases = new Set<string>();
  for await (const digest of store.listPatchBases()) {
    signal?.throwIfAborted();
    patchBases.add(digest);
  }

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
    if (chunk.mtimeMs <= cutoff && !patchBases.has(chunk.digest)) batch.add(chunk.digest);
    if (batch.size >= batchSize) await sweep();
  }
  await sweep();
  signal?.throwIfAborted();
  stats.tempFilesDeleted = await store.sweepTempFiles(cutoff);
  return stats;
}
