import { createHash } from 'node:crypto';
import { CorruptChunkError, RangeNotSatisfiableError } from './errors';
import { assertDigest } from './ids';
import { sha256Workers } from './sha256-workers';

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/**
 * The same digest, computed on the process's hashing threads instead of the event loop:
 * several chunks hash at once on several cores while the loop keeps serving I/O.
 */
export const sha256HexAsync = (bytes: Uint8Array): Promise<string> => sha256Workers().hex(bytes);

/** Refuses bytes that do not hash to `digest` (CorruptChunkError), before anything keeps them. */
export async function assertBytesHashTo(
  digest: string,
  bytes: Uint8Array,
  region: string,
): Promise<void> {
  assertDigest(digest);
  const actual = await sha256HexAsync(bytes);
  if (actual !== digest) throw new CorruptChunkError({ digest, region }, actual);
}

export function chunkCount(totalLength: number, chunkSize: number): number {
  return Math.ceil(totalLength / chunkSize);
}

/** Size of chunk `index` in an image of `totalLength` bytes: all full but the last. */
export function chunkSizeAt(index: number, totalLength: number, chunkSize: number): number {
  return Math.min(chunkSize, totalLength - index * chunkSize);
}

/** The part of one chunk that a byte range covers: bytes [from, to) of chunk `index`. */
export interface ChunkSlice {
  index: number;
  from: number;
  to: number;
}

/**
 * Which chunks, and which bytes of them, cover the inclusive range [start, end]
 * (inclusive like HTTP Range and fs.createReadStream).
 */
export function chunkSlices(
  totalLength: number,
  chunkSize: number,
  start: number,
  end: number,
): ChunkSlice[] {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    end >= totalLength
  ) {
    throw new RangeNotSatisfiableError(start, end, totalLength);
  }
  const slices: ChunkSlice[] = [];
  for (let index = Math.floor(start / chunkSize); index <= Math.floor(end / chunkSize); index++) {
    const base = index * chunkSize;
    slices.push({
      index,
      from: Math.max(start - base, 0),
      to: Math.min(end - base + 1, chunkSizeAt(index, totalLength, chunkSize)),
    });
  }
  return slices;
}
