import { createHash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { chunkBuffers } from './chunk-buffers';
import { DEFAULT_CHUNK_SIZE, sha256HexAsync } from './chunking';
import { SnapshotExistsError, TooLargeError } from './errors';
import { assertSnapshotId } from './ids';
import { buildManifest, type Manifest, type ManifestChunk } from './manifest';
import { type ChunkWriter, putHashedChunk, type RegionStore } from './region-store';

/**
 * Chunks in flight in an upload (buffers in memory: this many chunks, 24 MiB at 4 MiB): each
 * waits for its fsync, so the depth is what keeps the disk busy (1 GiB over HTTP on the bench
 * machine: depth 3 ~170 MiB/s, 5 ~200, 8 ~230).
 */
const WRITE_DEPTH = 6;

/**
 * The buffer memory one storeStream fills at `chunkSize` (what an upload reserves for it):
 * `WRITE_DEPTH` chunks, or fewer for an image known to be shorter (its buffers are lent whole
 * but only the pages written to take memory).
 */
export const storeStreamMemory = (chunkSize: number, imageBytes = Infinity): number =>
  Math.min(WRITE_DEPTH, Math.ceil(imageBytes / chunkSize)) * chunkSize;

export interface StoreStreamOptions {
  /** Whose data this is: the manifest's account, and the account every chunk counts for. */
  accountId: string;
  chunkSize?: number;
  /** Refuse (TooLargeError) once the upload passes this many bytes. */
  maxBytes?: number;
  signal?: AbortSignal;
  now?: () => Date;
}

/**
 * Streams an upload into fixed-size chunks, holding at most one chunk in memory; the
 * for-await loop pulls only when the previous chunk is stored, which is the backpressure.
 * The manifest is written last: without it (error, abort, too large) the snapshot has no data.
 */
export async function storeStream(
  store: RegionStore,
  snapshotId: string,
  readable: Readable | AsyncIterable<Uint8Array | string>,
  options: StoreStreamOptions,
): Promise<Manifest> {
  assertSnapshotId(snapshotId);
  const {
    accountId,
    chunkSize = DEFAULT_CHUNK_SIZE,
    maxBytes = Infinity,
    signal,
    now = () => new Date(),
  } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`bad chunkSize ${chunkSize}`);
  if (await store.getManifest(snapshotId)) throw new SnapshotExistsError(store.region, snapshotId);
  signal?.throwIfAborted();
  if (signal && 'pipe' in readable) addAbortSignal(signal, readable);

  try {
    return await storeChunks(
      store,
      { accountId, snapshotId },
      readable,
      chunkSize,
      maxBytes,
      signal,
      now,
    );
  } catch (error) {
    // A failed upload has no manifest, so its chunks need no protection from GC.
    // The upload's error is what the caller needs. A record left behind by a failed delete is
    // dropped by the next attempt's success or when the snapshot is deleted (data reaper).
    await store.deletePending(snapshotId).catch(() => undefined);
    throw error;
  }
}

async function storeChunks(
  store: RegionStore,
  writer: ChunkWriter,
  readable: Readable | AsyncIterable<Uint8Array | string>,
  chunkSize: number,
  maxBytes: number,
  signal: AbortSignal | undefined,
  now: () => Date,
): Promise<Manifest> {
  const { snapshotId } = writer;
  const image = createHash('sha256');
  const chunks: ManifestChunk[] = [];
  // A few buffers: while chunks are written (hashed in the thread pool, fsynced), the next one
  // fills, so the network, the hashing and the disk overlap; memory stays at `depth` chunks.
  // Shared buffers, so the hashing threads read them where they are.
  const free = Array.from({ length: WRITE_DEPTH }, () => chunkBuffers().borrow(chunkSize));
  const lent = [...free];
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let buffer = free.pop()!;
  let filled = 0;
  let total = 0;

  // The chunk's digest is computed on a hashing thread while this thread reads
  // the next chunk and updates the image digest: two cores, and one hash pass each.
  const write = async (bytes: Buffer, index: number): Promise<void> => {
    const digest = await sha256HexAsync(bytes);
    chunks[index] = { digest, size: bytes.length };
    // Record the intent first, so GC cannot collect this chunk before the manifest lands.
    await store.addPending(snapshotId, [digest]);
    await putHashedChunk(store, digest, bytes, writer);
  };
  const flush = async (): Promise<void> => {
    const written = buffer;
    const index = chunks.length;
    chunks.push({ digest: '', size: filled });
    const writing = write(written.subarray(0, filled), index).then(
      () => void free.push(written),
      (error: unknown) =>
        void (failure ??= error instanceof Error ? error : new Error(String(error))),
    );
    inFlight.add(writing);
    void writing.finally(() => inFlight.delete(writing));
    // Backpressure: wait for a buffer to come free before reading on.
    while (free.length === 0 && failure === undefined) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    buffer = free.pop()!;
    filled = 0;
  };
  const settle = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  };

  try {
    await fill();
  } catch (error) {
    await Promise.all(inFlight); // let the chunks in flight settle before the caller cleans up
    throw error;
  } finally {
    for (const lentBuffer of lent) chunkBuffers().giveBack(lentBuffer); // nothing in flight holds one
  }

  async function fill(): Promise<void> {
    for await (const piece of readable as AsyncIterable<unknown>) {
      signal?.throwIfAborted();
      const bytes = toBytes(piece);
      total += bytes.length;
      if (total > maxBytes) throw new TooLargeError(maxBytes);
      image.update(bytes);
      let offset = 0;
      while (offset < bytes.length) {
        const n = Math.min(chunkSize - filled, bytes.length - offset);
        buffer.set(bytes.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === chunkSize) await flush();
      }
    }
    signal?.throwIfAborted();
    if (filled > 0) await flush();
    await settle();
  }

  const manifest = buildManifest({
    snapshotId,
    accountId: writer.accountId,
    chunkSize,
    chunks,
    imageDigest: image.digest('hex'),
    createdAt: now(),
  });
  await store.putManifest(manifest);
  await store.deletePending(snapshotId);
  return manifest;
}

function toBytes(piece: unknown): Uint8Array {
  if (typeof piece === 'string') return Buffer.from(piece);
  if (piece instanceof Uint8Array) return piece;
  throw new TypeError('upload stream must yield bytes or strings');
}
