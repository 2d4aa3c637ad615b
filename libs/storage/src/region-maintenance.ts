/**
 * What a region's garbage collection and scrub take and report, whichever backend runs them
 * (the port, `RegionStore`, names them; the filesystem's and the bucket's runs fill them in).
 */

/** Chunks younger than this are never collected: a write may be about to reference them. */
export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;

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

export interface ScrubFinding {
  digest: string;
  /** The snapshots whose data includes this chunk (they cannot be read until it is restored). */
  snapshots: string[];
}

export interface ScrubReport {
  region: string;
  chunksChecked: number;
  bytesChecked: number;
  /** Chunks whose bytes no longer match their digest; removed, so a new copy can restore them. */
  corrupt: ScrubFinding[];
  /** Chunks a manifest lists that the region does not hold. */
  missing: ScrubFinding[];
}
