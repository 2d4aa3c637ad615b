export * from './errors';
export {
  isSnapshotId,
  isDigest,
  isRegionId,
  assertAccountId,
  assertSnapshotId,
  assertDigest,
  assertRegionId,
} from './ids';
export {
  DEFAULT_CHUNK_SIZE,
  sha256Hex,
  sha256HexAsync,
  assertBytesHashTo,
  chunkCount,
  chunkSizeAt,
  chunkSlices,
  type ChunkSlice,
} from './chunking';
export { Sha256Stream, Sha256Workers, sha256Workers } from './sha256-workers';
export { ChunkBuffers, chunkBuffers } from './chunk-buffers';
export {
  buildManifest,
  manifestRoot,
  validateManifest,
  type Manifest,
  type ManifestChunk,
  type ManifestInput,
} from './manifest';
export type { RegionStore, LocalRegionStore, ChunkInfo, ChunkWriter } from './region-store';
export { scrubRegion } from './filesystem/scrub';
export {
  DEFAULT_GC_GRACE_MS,
  emptyGcStats,
  type GcOptions,
  type GcStats,
  type ScrubReport,
  type ScrubFinding,
} from './region-maintenance';
export { FilesystemRegionStore } from './filesystem/filesystem-region-store';
export { storeStream, storeStreamMemory, type StoreStreamOptions } from './store-stream';
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
export { collectGarbage, DEFAULT_GC_BATCH } from './filesystem/collect-garbage';
export { RegionStores, type ServedRegionStore } from './region-stores';
export { HttpRegionStore, type HttpRegionStoreOptions } from './http/http-region-store';
export * from './http/region-auth';
export { storeAnswerOf, storeErrors, type StoreAnswer } from './http/store-errors';
export * from './object-store';
export { ByteReader, EndOfStream } from './changes/byte-reader';
export {
  checkRanges,
  ChangedRangeError,
  RangeOrder,
  type ChangedRange,
  type RangeProblem,
} from './changes/changed-ranges';
export {
  changesMagic,
  ChangeStreamWriter,
  parseChangeStream,
  readLe64,
  type ChangeEvent,
} from './changes/change-stream';
export {
  rebuildFromBase,
  type RebuildInput,
  type RebuildStats,
  type Rebuilt,
} from './changes/rebuild-from-base';
export { ManifestRootStream } from './root-stream';
