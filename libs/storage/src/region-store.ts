import type { Manifest } from './manifest';

export interface ChunkInfo {
  digest: string;
  size: number;
  mtimeMs: number;
}

/**
 * The storage port: one region's content-addressed chunks, manifests and pending
 * records. Small on purpose, so that an object store can implement it.
 * Every method validates ids and digests before using them.
 */
export interface RegionStore {
  readonly region: string;

  hasChunk(digest: string): Promise<boolean>;
  /** Verifies the bytes hash to `digest` before they become visible; true if newly written. */
  putChunk(digest: string, bytes: Uint8Array): Promise<boolean>;
  /** The chunk's bytes, verified; throws MissingChunkError / CorruptChunkError. */
  getChunk(digest: string): Promise<Buffer>;
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

  putManifest(manifest: Manifest): Promise<void>;
  /** Null if the snapshot has no (complete) data here. */
  getManifest(snapshotId: string): Promise<Manifest | null>;
  deleteManifest(snapshotId: string): Promise<boolean>;
  listManifests(): Promise<string[]>;

  /** Records chunks an in-flight write (upload or copy) of `snapshotId` needs, before it writes them. */
  addPending(snapshotId: string, digests: readonly string[]): Promise<void>;
  getPending(snapshotId: string): Promise<string[] | null>;
  deletePending(snapshotId: string): Promise<boolean>;
  listPending(): Promise<string[]>;

  /** Removes leftovers of interrupted writes older than `olderThanMs` (epoch ms); returns how many. */
  sweepTempFiles(olderThanMs: number): Promise<number>;
}
