import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { manifestRoot, type ManifestChunk } from '@snapferry/storage';

/** A disk image as an incremental upload declares it. */
export interface HashedImage {
  chunkSize: number;
  length: number;
  /** SHA-256 of the whole image (what `sha256sum` prints). */
  imageDigest: string;
  /** The manifest root over the chunks (the one definition, from @snapferry/storage). */
  root: string;
  chunks: ManifestChunk[];
}

/** Chunks being hashed at once: bounds memory to this many chunks whatever the image's size. */
const inFlight = 4;

/**
 * Reads the image once, chunk by chunk, and computes both hashes an upload declares: the
 * whole image's SHA-256 here, each chunk's SHA-256 on a worker thread at the same time (two
 * passes of SHA-256 over every byte, on two cores). At most `inFlight` chunks are in memory.
 */
export async function hashImageFile(
  path: string,
  chunkSize: number,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<HashedImage> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`bad chunk size ${chunkSize}`);
  const file = await open(path, 'r');
  const digester = new ChunkDigester();
  const image = createHash('sha256');
  const chunks: Promise<ManifestChunk>[] = [];
  try {
    let length = 0;
    for (;;) {
      // A buffer of its own (not pooled), so the worker can take it without a copy.
      const bytes = await readAt(file, Buffer.allocUnsafeSlow(chunkSize), length);
      if (bytes.length === 0) break;
      image.update(bytes);
      length += bytes.length;
      const size = bytes.length;
      chunks.push(digester.digest(bytes).then((digest) => ({ digest, size })));
      if (chunks.length > inFlight) await chunks[chunks.length - 1 - inFlight];
      onProgress(length);
      if (size < chunkSize) break;
    }
    const listed = await Promise.all(chunks);
    return {
      chunkSize,
      length,
      imageDigest: image.digest('hex'),
      root: manifestRoot(listed),
      chunks: listed,
    };
  } finally {
    await Promise.allSettled(chunks); // nothing left running against a closed worker
    await digester.close();
    await file.close();
  }
}

/** Fills `buffer` from `position` (a short read only at the end of the file). */
async function readAt(file: FileHandle, buffer: Buffer, position: number): Promise<Buffer> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.read(
      buffer,
      filled,
      buffer.length - filled,
      position + filled,
    );
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

// The worker's whole program: digests in the order chunks arrive.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', (bytes) => {
  parentPort.postMessage(createHash('sha256').update(bytes).digest('hex'));
});`;

/** SHA-256 of chunks on a worker thread, answered in order (the worker handles one at a time). */
class ChunkDigester {
  private readonly worker = new Worker(workerSource, { eval: true });
  private readonly waiting: { resolve(digest: string): void; reject(error: Error): void }[] = [];

  constructor() {
    this.worker.on('message', (digest: string) => this.waiting.shift()?.resolve(digest));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the hashing worker stopped')));
  }

  /** Hands the bytes over to the worker (the buffer is no longer usable here). */
  digest(bytes: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
