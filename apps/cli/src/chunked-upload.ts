import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChunkStoredResponse,
  SnapshotResponse,
  UploadManifestRequest,
  UploadPlanResponse,
} from '@snapferry/contracts';
import type { Context } from './context';
import { ApiError, CliError, ExitCode, UnreachableError } from './errors';
import type { HashedImage } from './image-hash';
import { formatBytes } from './output';
import type { Bar } from './progress';

/** What an upload sent and what it did not have to (the region had it, or the image repeats it). */
export interface UploadStats {
  bytesUploaded: number;
  bytesSkipped: number;
  chunksUploaded: number;
  chunksSkipped: number;
}

export interface ChunkedUploadOptions {
  /** Chunk uploads at once. */
  parallel?: number;
  /** Tries per chunk against network errors, 502/503/504 and the catalog's upload limits. */
  attempts?: number;
  retryDelayMs?: number;
  bar?: Bar;
}

/** Declare-and-send rounds before giving up (a chunk can vanish again between them, e.g. a scrub). */
const maxRounds = 3;

/** The progress bar's detail: how much was sent, and how much the region spared us. */
export function uploadProgressText(stats: UploadStats, imageBytes: number): string {
  const chunks = stats.chunksSkipped === 1 ? 'chunk' : 'chunks';
  return `uploaded ${formatBytes(stats.bytesUploaded)} of ${formatBytes(imageBytes)}, ${stats.chunksSkipped} ${chunks} already in the region`;
}

/**
 * Network errors, a catalog briefly unavailable or out of upload memory, and a chunk cut off for
 * arriving too slowly are worth another try; refusals are not.
 */
export const retryable = (error: unknown): boolean =>
  error instanceof UnreachableError ||
  (error instanceof ApiError &&
    ([502, 503, 504].includes(error.status) ||
      error.code === 'RequestLimitExceeded.UploadMemory' ||
      error.code === 'RequestTimeout.BodyTooSlow'));

/**
 * The incremental upload: declare the image's chunks, send the ones the region lacks (several
 * at once, each read from the file at its offset, each retried on network errors), and declare
 * again to commit. The chunks are not hashed again here: the catalog verifies each one, and a
 * mismatch can only mean that the file changed since it was hashed. Run again after an interruption, it sends only what is still missing.
 */
export async function uploadChunked(
  ctx: Context,
  snapshotId: string,
  path: string,
  image: HashedImage,
  { parallel = 8, attempts = 4, retryDelayMs = 500, bar }: ChunkedUploadOptions = {},
): Promise<{ snapshot: SnapshotResponse; stats: UploadStats }> {
  const base = `/v1/snapshots/${encodeURIComponent(snapshotId)}/data`;
  const manifest: UploadManifestRequest = {
    chunkSize: image.chunkSize,
    imageDigest: image.imageDigest,
    root: image.root,
    chunks: image.chunks,
  };
  const declare = () =>
    withRetries(
      () => ctx.api.json<UploadPlanResponse>('POST', `${base}/manifest`, { json: manifest }),
      attempts,
      retryDelayMs,
    );
  const offsets = new Map<string, number>();
  image.chunks.forEach((chunk, index) => {
    if (!offsets.has(chunk.digest)) offsets.set(chunk.digest, index * image.chunkSize);
  });
  const sizes = new Map(image.chunks.map((c) => [c.digest, c.size]));
  const sent = { bytes: 0, chunks: 0 };
  const stats = (): UploadStats => ({
    bytesUploaded: sent.bytes,
    bytesSkipped: Math.max(0, image.length - sent.bytes),
    chunksUploaded: sent.chunks,
    chunksSkipped: Math.max(0, image.chunks.length - sent.chunks),
  });

  let answer = await declare();
  // The bar covers the whole image: what the region has counts as done from the start.
  const skipped = image.length - answer.bytesMissing;
  const show = () =>
    bar?.update(
      Math.min(image.length, skipped + sent.bytes),
      uploadProgressText(
        { ...stats(), chunksSkipped: image.chunks.length - answer.chunksMissing },
        image.length,
      ),
    );
  show();
  const file = await open(path, 'r');
  try {
    for (let round = 1; answer.state !== 'NORMAL'; round++) {
      if (round > maxRounds)
        throw new CliError(
          ExitCode.apiError,
          `the region still lacks ${answer.chunksMissing} chunks of ${snapshotId} after ${maxRounds} rounds; run the upload again`,
        );
      await forEachLimit(answer.missing, parallel, async (digest) => {
        const size = sizes.get(digest);
        const offset = offsets.get(digest);
        if (size === undefined || offset === undefined)
          throw new CliError(
            ExitCode.apiError,
            `the catalog asked for chunk ${digest}, which is not in this image`,
          );
        const bytes = await readChunk(file, path, offset, size);
        await withRetries(
          () => ctx.api.json<ChunkStoredResponse>('PUT', `${base}/chunks/${digest}`, { bytes }),
          attempts,
          retryDelayMs,
        ).catch((error: unknown) => {
          // The catalog hashes every chunk it receives: a mismatch means the file changed.
          if (error instanceof ApiError && error.code === 'InvalidParameter.ChunkDigestMismatch')
            throw changed(path, offset);
          throw error;
        });
        sent.bytes += size;
        sent.chunks++;
        show();
      });
      answer = await declare();
    }
  } finally {
    await file.close();
  }
  if (!answer.snapshot)
    throw new CliError(ExitCode.apiError, 'the catalog committed the upload but sent no snapshot');
  return { snapshot: answer.snapshot, stats: stats() };
}

/** One chunk from the file, at its offset (the catalog checks it against its digest). */
async function readChunk(
  file: FileHandle,
  path: string,
  offset: number,
  size: number,
): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  const { bytesRead } = await file.read(bytes, 0, size, offset);
  if (bytesRead !== size) throw changed(path, offset);
  return bytes;
}

/** The bytes at `offset` are no longer what was hashed. */
const changed = (path: string, offset: number) =>
  new CliError(
    ExitCode.usage,
    `${path} changed while it was being uploaded (the chunk at byte ${offset} is not what was hashed); run the upload again`,
  );

async function withRetries<T>(call: () => Promise<T>, attempts: number, delayMs: number) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await sleep(delayMs * 2 ** (attempt - 1));
    }
  }
}

/** Runs `work` over the items, at most `limit` at once; the first failure stops new work and is thrown. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
