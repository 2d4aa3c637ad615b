import type { ChunkInfo, RegionStore } from './region-store';

export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;

/** Mark: every chunk a complete snapshot or an in-flight write still needs. */
export function markReferenced(
  manifests: Iterable<{ chunks: readonly { digest: string }[] }>,
  pending: Iterable<readonly string[]>,
): Set<string> {
  const referenced = new Set<string>();
  for (const manifest of manifests)
    for (const chunk of manifest.chunks) referenced.add(chunk.digest);
  for (const digests of pending) for (const digest of digests) referenced.add(digest);
  return referenced;
}

/** Sweep: unreferenced chunks last touched at or before `cutoffMs` (younger ones may be mid-upload). */
export function selectGarbage(
  chunks: Iterable<ChunkInfo>,
  referenced: ReadonlySet<string>,
  cutoffMs: number,
): ChunkInfo[] {
  const garbage: ChunkInfo[] = [];
  for (const chunk of chunks) {
    if (!referenced.has(chunk.digest) && chunk.mtimeMs <= cutoffMs) garbage.push(chunk);
  }
  return garbage;
}

export interface GcStats {
  manifests: number;
  pending: number;
  chunksScanned: number;
  chunksReferenced: number;
  chunksDeleted: number;
  bytesFreed: number;
  tempFilesDeleted: number;
}

/**
 * Mark-and-sweep over manifests and pending records. Candidates are listed before
 * marking, and each one's age is checked again just before deletion, so a chunk that
 * an upload or copy starts using mid-run is either marked or freshly touched.
 */
export async function collectGarbage(
  store: RegionStore,
  {
    graceMs = DEFAULT_GC_GRACE_MS,
    now = () => Date.now(),
  }: { graceMs?: number; now?: () => number } = {},
): Promise<GcStats> {
  const cutoff = now() - graceMs;
  let chunksScanned = 0;
  const old: ChunkInfo[] = [];
  for await (const chunk of store.listChunks()) {
    chunksScanned++;
    if (chunk.mtimeMs <= cutoff) old.push(chunk);
  }

  const manifestIds = await store.listManifests();
  const pendingIds = await store.listPending();
  const manifests = [];
  for (const id of manifestIds) {
    const manifest = await store.getManifest(id);
    if (manifest) manifests.push(manifest);
  }
  const pending = [];
  for (const id of pendingIds) pending.push((await store.getPending(id)) ?? []);
  const referenced = markReferenced(manifests, pending);

  let chunksDeleted = 0;
  let bytesFreed = 0;
  for (const candidate of selectGarbage(old, referenced, cutoff)) {
    const current = await store.statChunk(candidate.digest);
    if (!current || current.mtimeMs > cutoff) continue;
    if (await store.deleteChunk(candidate.digest)) {
      chunksDeleted++;
      bytesFreed += current.size;
    }
  }
  return {
    manifests: manifests.length,
    pending: pending.length,
    chunksScanned,
    chunksReferenced: referenced.size,
    chunksDeleted,
    bytesFreed,
    tempFilesDeleted: await store.sweepTempFiles(cutoff),
  };
}
