import { chunkBuffers, type ChunkBuffers } from '../chunk-buffers';
import { chunkCount, chunkSizeAt, sha256Hex, sha256HexAsync } from '../chunking';
import { CorruptChunkError, withSnapshotContext } from '../errors';
import { sha256Workers } from '../sha256-workers';
import type { Manifest, ManifestChunk } from '../manifest';
import { readChunkOf } from '../read-chunk';
import {
  putHashedChunk,
  putRebuiltChunk,
  type ChunkWriter,
  type RegionStore,
} from '../region-store';
import type { ChangeEvent } from './change-stream';
import { ChangedRangeError, RangeOrder } from './changed-ranges';

export interface RebuildInput {
  store: RegionStore;
  /** The base snapshot's manifest: every chunk no range touches is taken from it as it is. */
  base: Manifest;
  writer: ChunkWriter;
  /** Parsed changes (a change stream or an rbd export-diff), in order, ending with `end`. */
  changes: AsyncIterable<ChangeEvent>;
  /** The new snapshot's disk capacity: a size record past it is refused. */
  maxBytes: number;
  /** Rebuilt chunks hashed and written at once while the next fills (default 4). */
  parallel?: number;
  /**
   * Where a rebuilt chunk and its base's bytes are borrowed from and given back to (default the
   * process's): a fresh 4 MiB buffer per chunk cost its page faults, twice (the base read and its
   * copy to a hashing thread), more than the hashing itself.
   */
  buffers?: ChunkBuffers;
  signal?: AbortSignal;
}

export interface RebuildStats {
  rangesWritten: number;
  rangesZeroed: number;
  /** Bytes received for `write` ranges (what the client read and sent). */
  bytesWritten: number;
  /** Bytes the `zero` ranges cover (nothing was sent for them). */
  bytesZeroed: number;
  /** Chunks whose bytes changed and were hashed and written again. */
  chunksRebuilt: number;
  /** Their bytes: a 64 KiB write inside a 4 MiB chunk rebuilds 4 MiB. */
  bytesRebuilt: number;
  /**
   * Bytes the region wrote for them: where it keeps a small change as a patch over the base's
   * chunk (the filesystem backend), the changed parts; else every rebuilt chunk whole.
   */
  bytesStored: number;
  /** Bytes of base chunks read to fill what the ranges left of a rebuilt chunk. */
  bytesReadFromBase: number;
  /** Chunks taken from the base without reading them. */
  chunksReused: number;
}

export interface Rebuilt {
  chunkSize: number;
  totalLength: number;
  chunks: ManifestChunk[];
  stats: RebuildStats;
}

interface OpenChunk {
  index: number;
  bytes: Buffer;
  /** The base's bytes of this chunk, read while the ranges fill `bytes`. */
  base?: Promise<Buffer>;
  /** The digest of that base chunk. */
  baseDigest?: string;
  /**
   * The base is verified as the new chunk is hashed, over their common start at once (the
   * first change lies well into the chunk); else it is verified as it is read, while the
   * changes still arrive.
   */
  verifyWithNew?: boolean;
  /** The parts [from, to) of `bytes` the ranges wrote or zeroed, in order: the base fills the rest. */
  covered: [number, number][];
}

/** Marks [from, to) of the chunk as the ranges' (ranges arrive sorted: merged with the last part). */
function cover(chunk: OpenChunk, from: number, to: number): void {
  const last = chunk.covered.at(-1);
  if (last && last[1] >= from) last[1] = Math.max(last[1], to);
  else chunk.covered.push([from, to]);
}

/**
 * Fills every part of the chunk the ranges left alone: with the base's bytes where the base has
 * them, with zeros past its end (a disk that grew) or where there is no base chunk.
 */
function fillGaps(chunk: OpenChunk, base: Buffer | undefined): void {
  const size = chunk.bytes.length;
  const baseEnd = Math.min(size, base?.length ?? 0);
  const fill = (from: number, to: number) => {
    if (from < baseEnd) base!.copy(chunk.bytes, from, from, Math.min(to, baseEnd));
    if (to > baseEnd) chunk.bytes.fill(0, Math.max(from, baseEnd), to);
  };
  let at = 0;
  for (const [from, to] of chunk.covered) {
    if (from > at) fill(at, from);
    at = Math.max(at, to);
  }
  if (at < size) fill(at, size);
}

/**
 * A new snapshot's chunks from its base's plus changed ranges, in memory bounded by a few
 * chunks: a range inside a chunk rebuilds that chunk (the rest of it read from the base), a
 * chunk a `zero` range covers whole becomes the zero chunk without a read, and every other
 * chunk is the base's, untouched. Ranges are checked as they arrive (inside the disk, sorted,
 * not overlapping: RangeOrder). Rebuilt chunks are hashed here and written to the store
 * (which keeps them for the writer's account); the caller writes the manifest.
 *
 * Reading the changes never waits for the store: a touched chunk's base is read (and
 * verified) while its ranges arrive, and the base's bytes fill the parts the ranges left
 * when the chunk is closed; closed chunks are completed, hashed and written `parallel` at once.
 * A few ranges scattered over many chunks cost the store's throughput, not its latency.
 */
export async function rebuildFromBase(input: RebuildInput): Promise<Rebuilt> {
  const { store, base, writer, maxBytes, signal } = input;
  const parallel = input.parallel ?? 4;
  const buffers = input.buffers ?? chunkBuffers();
  const chunkSize = base.chunkSize;
  let length = base.totalLength;
  let order: RangeOrder | undefined;
  const stats: RebuildStats = {
    rangesWritten: 0,
    rangesZeroed: 0,
    bytesWritten: 0,
    bytesZeroed: 0,
    chunksRebuilt: 0,
    bytesRebuilt: 0,
    bytesStored: 0,
    bytesReadFromBase: 0,
    chunksReused: 0,
  };
  const rebuilt = new Map<number, ManifestChunk>();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const zeroChunks = new Map<number, Promise<ManifestChunk>>();
  let current: OpenChunk | undefined;
  /** The first failed write, thrown at the next step (the writes run beside the reading). */
  const throwFailure = () => {
    if (failure) throw failure.error;
  };

  const sizeOf = (index: number) => chunkSizeAt(index, length, chunkSize);
  const check = (range: { offset: number; length: number }) =>
    (order ??= new RangeOrder(length)).check(range);

  /**
   * The new chunk's digest, and its base's checked (so a corrupt base chunk is never stored
   * again under a new digest): one pass over the part before the first change, which both share.
   */
  const hashOverBase = async (chunk: OpenChunk, data: Buffer): Promise<string> => {
    const firstChange = chunk.covered[0]?.[0] ?? Infinity;
    const prefix = Math.min(firstChange, data.length, chunk.bytes.length);
    const [baseDigest, digest] = await sha256Workers().pair(data, chunk.bytes, prefix);
    if (baseDigest !== chunk.baseDigest)
      throw withSnapshotContext(
        new CorruptChunkError({ digest: chunk.baseDigest!, region: store.region }, baseDigest),
        base.snapshotId,
        chunk.index,
      );
    return digest;
  };

  /** Chunk `index`: its base read starts now unless [from, to) covers it whole (zeros past the base). */
  const open = (index: number, from: number, to: number): OpenChunk => {
    const size = sizeOf(index);
    const chunk: OpenChunk = { index, bytes: buffers.borrow(size), covered: [] };
    const start = index * chunkSize;
    const old = base.chunks[index];
    if (old && !(from <= start && to >= start + size)) {
      chunk.verifyWithNew = from - start >= size / 8;
      const verify = !chunk.verifyWithNew;
      chunk.base = readChunkOf(store, old.digest, base.snapshotId, index, verify, buffers);
      chunk.baseDigest = old.digest;
      // Awaited when the chunk closes; a rebuild that fails first must not leave it unhandled.
      chunk.base.catch(() => undefined);
    }
    return chunk;
  };

  /** Completes the open chunk from its base, hashes and writes it, a few at once, while the caller goes on. */
  const close = async (): Promise<void> => {
    if (!current) return;
    const chunk = current;
    current = undefined;
    while (inFlight.size >= parallel) await Promise.race(inFlight);
    throwFailure();
    const write = (async () => {
      const data = await chunk.base;
      fillGaps(chunk, data);
      if (data) stats.bytesReadFromBase += data.length;
      const digest = await (
        data && chunk.verifyWithNew ? hashOverBase(chunk, data) : sha256HexAsync(chunk.bytes)
      ).finally(() => data && buffers.giveBack(data));
      if (chunk.baseDigest) {
        const over = { digest: chunk.baseDigest, changed: chunk.covered };
        const stored = await putRebuiltChunk(store, digest, chunk.bytes, over, writer);
        stats.bytesStored += stored.bytesStored;
      } else {
        await putHashedChunk(store, digest, chunk.bytes, writer);
        stats.bytesStored += chunk.bytes.length;
      }
      rebuilt.set(chunk.index, { digest, size: chunk.bytes.length });
      stats.chunksRebuilt++;
      stats.bytesRebuilt += chunk.bytes.length;
    })()
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        buffers.giveBack(chunk.bytes);
        inFlight.delete(write);
      });
    inFlight.add(write);
  };

  const chunkAt = async (index: number, from: number, to: number): Promise<OpenChunk> => {
    if (current?.index === index) return current;
    await close();
    signal?.throwIfAborted();
    current = open(index, from, to);
    return current;
  };

  /** The chunk of `size` zeros, stored once per rebuild. */
  const zeroChunk = (size: number): Promise<ManifestChunk> => {
    let chunk = zeroChunks.get(size);
    if (!chunk) {
      const bytes = Buffer.alloc(size);
      const digest = sha256Hex(bytes);
      chunk = putHashedChunk(store, digest, bytes, writer).then(() => ({ digest, size }));
      zeroChunks.set(size, chunk);
    }
    return chunk;
  };

  const zero = async (offset: number, end: number): Promise<void> => {
    for (let index = Math.floor(offset / chunkSize); index * chunkSize < end; index++) {
      const start = index * chunkSize;
      const size = sizeOf(index);
      if (offset <= start && end >= start + size && current?.index !== index) {
        rebuilt.set(index, await zeroChunk(size));
        continue;
      }
      const chunk = await chunkAt(index, offset, end);
      const from = Math.max(offset - start, 0);
      const to = Math.min(end - start, size);
      chunk.bytes.fill(0, from, to);
      cover(chunk, from, to);
    }
  };

  try {
    let cursor = 0;
    let writeEnd = 0;
    let writeStart = 0;
    let ended = false;
    for await (const event of input.changes) {
      if (ended)
        throw new ChangedRangeError(
          'InvalidParameter.ChangesFormat',
          'records follow the end record',
        );
      switch (event.kind) {
        case 'size':
          if (order)
            throw new ChangedRangeError(
              'InvalidParameter.ChangesFormat',
              'the size must come before any range',
            );
          if (event.size > maxBytes)
            throw new ChangedRangeError(
              'UnsupportedOperation.SnapshotDataTooLarge',
              `the new size (${event.size} bytes) is larger than the disk (${maxBytes} bytes)`,
            );
          length = event.size;
          break;
        case 'write':
          check(event);
          stats.rangesWritten++;
          cursor = writeStart = event.offset;
          writeEnd = event.offset + event.length;
          break;
        case 'bytes': {
          let piece = event.bytes;
          if (cursor + piece.length > writeEnd)
            throw new ChangedRangeError(
              'InvalidParameter.ChangesFormat',
              'more bytes than the range declares',
            );
          stats.bytesWritten += piece.length;
          while (piece.length > 0) {
            const index = Math.floor(cursor / chunkSize);
            const chunk = await chunkAt(index, writeStart, writeEnd);
            const within = cursor - index * chunkSize;
            const n = Math.min(piece.length, chunk.bytes.length - within);
            piece.copy(chunk.bytes, within, 0, n);
            cover(chunk, within, within + n);
            cursor += n;
            piece = piece.subarray(n);
          }
          break;
        }
        case 'zero':
          check(event);
          stats.rangesZeroed++;
          stats.bytesZeroed += event.length;
          await zero(event.offset, event.offset + event.length);
          break;
        case 'end':
          ended = true;
          break;
      }
    }
    if (!ended)
      throw new ChangedRangeError(
        'InvalidParameter.ChangesFormat',
        'the changes ended without their end record',
      );
    await close();
    await Promise.all(inFlight);
    throwFailure();
    // Chunks no range touched: the base's as they are, unless a new size cut or extended them.
    for (let index = 0; index < chunkCount(length, chunkSize); index++) {
      if (rebuilt.has(index)) continue;
      const old = base.chunks[index];
      if (old && old.size === sizeOf(index)) {
        stats.chunksReused++;
        continue;
      }
      if (!old) {
        rebuilt.set(index, await zeroChunk(sizeOf(index)));
        continue;
      }
      current = open(index, 0, 0);
      await close();
    }
    await Promise.all(inFlight);
    throwFailure();
    await Promise.all(zeroChunks.values());
  } finally {
    // Nothing keeps writing after the answer, whatever it is.
    await Promise.allSettled([...inFlight, ...zeroChunks.values()]);
  }
  const chunks = Array.from({ length: chunkCount(length, chunkSize) }, (_, index) => {
    const chunk = rebuilt.get(index) ?? base.chunks[index];
    if (!chunk) throw new Error(`chunk ${index} was neither rebuilt nor in the base`);
    return chunk;
  });
  return { chunkSize, totalLength: length, chunks, stats };
}
