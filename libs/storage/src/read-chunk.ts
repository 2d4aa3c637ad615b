import type { ChunkBuffers } from './chunk-buffers';
import { withSnapshotContext } from './errors';
import type { RegionStore } from './region-store';

/** getChunk, with errors that say which snapshot and which chunk of it. */
export async function readChunkOf(
  store: RegionStore,
  digest: string,
  snapshotId: string,
  chunkIndex: number,
  verify = true,
  buffers?: ChunkBuffers,
): Promise<Buffer> {
  try {
    return await store.getChunk(digest, { verify, ...(buffers ? { buffers } : {}) });
  } catch (error) {
    throw withSnapshotContext(error, snapshotId, chunkIndex);
  }
}
