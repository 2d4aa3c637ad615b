import { Readable } from 'node:stream';
import { chunkSlices, type ChunkSlice } from './chunking';
import { readChunkOf } from './read-chunk';
import type { Manifest } from './manifest';
import type { RegionStore } from './region-store';

export interface ReadRange {
  start?: number;
  /** Inclusive, as in HTTP Range and fs.createReadStream. */
  end?: number;
}

/** The slices to read for a range; empty for an empty image read whole. Throws RangeNotSatisfiableError. */
export function slicesFor(manifest: Manifest, { start, end }: ReadRange = {}): ChunkSlice[] {
  if (manifest.totalLength === 0 && start === undefined && end === undefined) return [];
  return chunkSlices(
    manifest.totalLength,
    manifest.chunkSize,
    start ?? 0,
    end ?? manifest.totalLength - 1,
  );
}

/**
 * The snapshot's bytes (or a range of them). Each chunk is verified as it is read; one
 * chunk is fetched ahead so disk and consumer overlap, so at most two are in memory.
 */
export function readStream(
  store: RegionStore,
  manifest: Manifest,
  range: ReadRange = {},
): Readable {
  const slices = slicesFor(manifest, range);
  const fetch = (slice: ChunkSlice): Promise<Buffer> => {
    const chunk = manifest.chunks[slice.index];
    if (!chunk) throw new RangeError(`chunk ${slice.index} not in manifest`);
    return readChunkOf(store, chunk.digest, manifest.snapshotId, slice.index);
  };
  async function* bytes(): AsyncGenerator<Buffer> {
    let next = slices[0] ? fetch(slices[0]) : undefined;
    for (let i = 0; i < slices.length && next; i++) {
      const current = next;
      const slice = slices[i] as ChunkSlice;
      const following = slices[i + 1];
      next = following ? fetch(following) : undefined;
      // If the consumer stops early, the prefetch must not become an unhandled rejection.
      next?.catch(() => undefined);
      const chunk = await current;
      yield chunk.subarray(slice.from, slice.to);
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
