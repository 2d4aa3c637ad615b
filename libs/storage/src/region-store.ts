import type { ChunkBuffers } from './chunk-buffers';
import type { Manifest } from './manifest';
import type { GcOptions, GcStats, ScrubReport } from './region-maintenance';

export interface GetChunkOptions {
  verify?: boolean;
  buffers?: ChunkBuffers;
}

/**
 * Who writes a chunk: the account whose data it is and the snapshot it is for. Dedup never
 * crosses accounts: a chunk another account sent counts for this one only once this one has
 * sent its bytes too (the region may still keep one copy).
 */
export interface ChunkWriter {
  accountId: string;
  snapshotId: string;
}

/** A rebuilt chunk's base chunk, and the parts [from, to) of it the changes wrote (sorted). */
export interface ChunkBase {
  digest: string;
  changed: readonly [number, number][];
}

/** What writing a chunk did. */
export interface ChunkStored {
  /** The writer's account did not reference the chunk before. */
  fresh: boolean;
  /** Bytes written to the region: 0 where it had the chunk already, a patch's where it kept one. */
  bytesStored: number;
}

export interface ChunkInfo {
  digest: string;
  size: number;
  mtimeMs: number;
}

/**
 * The storage port: one region's content-addressed chunks, manifests and pending records,
 * as every service sees it, whether the region is on this host (the filesystem) or served by
 * the region's replicator over the network (`HttpRegionStore`). Small on purpose, so that an
 * object store can implement it. Every method validates ids and digests before using them.
 */
export interface RegionStore {
  readonly region: string;

  /**
   * Which of `digests` the account must send: those the region lacks, and those it holds
   * that the account does not reference (its manifests, its writes in flight). So nobody
   * learns what other accounts stored, and nobody skips bytes they never had. The held ones
   * get their age refreshed, so that GC's grace period keeps them for the writer that asked.
   */
  missingChunks(digests: readonly string[], accountId: string): Promise<string[]>;
  /**
   * Verifies the bytes hash to `digest` before they become visible (stored once per region)
   * and records that the writer's account now references the chunk; true if the account did
   * not reference it before.
   */
  putChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean>;
  /**
   * The chunk's bytes; throws MissingChunkError / CorruptChunkError. `verify: false` skips the
   * digest check, for a caller that verifies itself (a copy: the target's putChunk does). With
   * `buffers`, a store that reads locally reads into one borrowed from them (the caller gives
   * it back); others may ignore it.
   */
  getChunk(digest: string, options?: GetChunkOptions): Promise<Buffer>;

  /**
   * Writes a manifest whose chunks are all present and referenced by its account (refused
   * otherwise, MissingChunkError listing them): the data is complete.
   */
  putManifest(manifest: Manifest): Promise<void>;
  /** Null if the snapshot has no (complete) data here. */
  getManifest(snapshotId: string): Promise<Manifest | null>;
  deleteManifest(snapshotId: string): Promise<boolean>;
  listManifests(): Promise<string[]>;

  /** Records chunks an in-flight write (upload or copy) of `snapshotId` needs, before it writes them. */
  addPending(snapshotId: string, digests: readonly string[]): Promise<void>;
  deletePending(snapshotId: string): Promise<boolean>;
  listPending(): Promise<string[]>;

  /** Mark-and-sweep of the chunks nothing references, run where the chunks are. */
  collectGarbage(options?: GcOptions): Promise<GcStats>;
  /** Re-reads and re-verifies every chunk; corrupt ones are reported and removed. */
  scrub(options?: { signal?: AbortSignal }): Promise<ScrubReport>;
}

/**
 * What garbage collection and scrubbing need besides the port: listing and ageing chunks.
 * Only the region's own host has it (the filesystem backend).
 */
export interface LocalRegionStore extends RegionStore {
  hasChunk(digest: string): Promise<boolean>;
  /** putChunk for bytes the caller has just hashed to `digest` (one SHA-256 pass, not two). */
  putVerifiedChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean>;
  /**
   * putVerifiedChunk for a chunk rebuilt from `base` with only the `changed` parts new: the
   * store may keep it as those parts over the base's bytes (a patch) instead of whole.
   */
  putPatchedChunk(
    digest: string,
    bytes: Uint8Array,
    base: ChunkBase,
    writer: ChunkWriter,
  ): Promise<ChunkStored>;
  /** The whole chunks patches lie over (one per patch): GC keeps them while the patches stay. */
  listPatchBases(): AsyncIterable<string>;
  /** Refreshes the chunk's age so GC's grace period protects it; false if it is absent. */
  touchChunk(digest: string): Promise<boolean>;
  statChunk(digest: string): Promise<ChunkInfo | null>;
  deleteChunk(digest: string): Promise<boolean>;
  /**
   * For garbage collection: deletes the chunk only if nobody touched it after `cutoffMs`
   * (epoch ms), atomically with respect to touchChunk and putChunk: a touch either lands
   * before (and the chunk stays) or fails (and the writer writes it again). Returns the
   * bytes freed, or null if the chunk stayed or was absent.
   */
  deleteChunkIfOlder(digest: string, cutoffMs: number): Promise<number | null>;
  listChunks(): AsyncIterable<ChunkInfo>;
  getPending(snapshotId: string): Promise<string[] | null>;
  /** Removes leftovers of interrupted writes older than `olderThanMs` (epoch ms); returns how many. */
  sweepTempFiles(olderThanMs: number): Promise<number>;
}

/**
 * Writes a chunk whose digest the caller has just computed from these very bytes: a store on
 * this host skips hashing them again; a remote store verifies them on arrival anyway.
 */
export function putHashedChunk(
  store: RegionStore,
  digest: string,
  bytes: Uint8Array,
  writer: ChunkWriter,
): Promise<boolean> {
  const local = store as Partial<LocalRegionStore>;
  return local.putVerifiedChunk
    ? local.putVerifiedChunk(digest, bytes, writer)
    : store.putChunk(digest, bytes, writer);
}

/**
 * Writes a chunk rebuilt from `base` (its digest just computed from these bytes): as a patch
 * where the store keeps patches, else whole as putHashedChunk does (its size then).
 */
export async function putRebuiltChunk(
  store: RegionStore,
  digest: string,
  bytes: Uint8Array,
  base: ChunkBase,
  writer: ChunkWriter,
): Promise<ChunkStored> {
  const local = store as Partial<LocalRegionStore>;
  if (local.putPatchedChunk) return local.putPatchedChunk(digest, bytes, base, writer);
  const fresh = await putHashedChunk(store, digest, bytes, writer);
  return { fresh, bytesStored: bytes.byteLength };
}
