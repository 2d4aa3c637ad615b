export * from './errors';
export {
  isSnapshotId,
  isDigest,
  isRegionId,
  assertSnapshotId,
  assertDigest,
  assertRegionId,
} from './ids';
export {
  DEFAULT_CHUNK_SIZE,
  sha256Hex,
  chunkCount,
  chunkSizeAt,
  chunkSlices,
  type ChunkSlice,
} from './chunking';
export {
  buildManifest,
  validateManifest,
  type Manifest,
  type ManifestChunk,
  type ManifestInput,
} from './manifest';
export type { RegionStore, ChunkInfo } from './region-store';
export { FilesystemRegionStore } from './filesystem-region-store';
export { storeStream, type StoreStreamOptions } from './store-stream';
export { readStream, slicesFor, type ReadRange } from './read-stream';
export { Throttle, takeTokens, type Bucket, type ThrottleClock } from './throttle';
export {
  copySnapshot,
  verifySnapshot,
  abandonCopy,
  type CopyOptions,
  type CopyProgress,
  type CopyResult,
} from './copy-snapshot';
export {
  collectGarbage,
  markReferenced,
  selectGarbage,
  DEFAULT_GC_GRACE_MS,
  type GcStats,
} from './collect-garbage';
export { RegionStores } from './region-stores';
