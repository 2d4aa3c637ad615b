import { open, type FileHandle } from 'node:fs/promises';
import { manifestRoot, sha256HexAsync, Sha256Stream, type ManifestChunk } from '@snapferry/storage';

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

/** Chunks in memory at once (each hashed by two threads): memory stays at this many chunks. */
const inFlight = 4;

/**
 * Reads the image once, chunk by chunk, into a few shared buffers, and computes both hashes an
 * upload declares at the same time on two threads: the whole image's SHA-256 on one, each
 * chunk's SHA-256 on the process's hashing threads (@snapferry/storage). This thread only
 * reads; no byte is copied between threads and no buffer is allocated per chunk.
 */
export async function hashImageFile(
  path: string,
  chunkSize: number,
  onProgress: (bytes: number) => void = () => undefined,
): Promise<HashedImage> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`bad chunk size ${chunkSize}`);
  const file = await open(path, 'r');
  const image = new Sha256Stream();
  const free = Array.from({ length: inFlight }, () =>
    Buffer.from(new SharedArrayBuffer(chunkSize)),
  );
  const busy = new Set<Promise<void>>();
  const chunks: ManifestChunk[] = [];
  const failed: { error?: Error } = {};
  try {
    let length = 0;
    for (;;) {
      while (free.length === 0 && !failed.error) await Promise.race(busy);
      if (failed.error) throw failed.error;
      const slot = free.pop()!;
      const bytes = await readAt(file, slot, length);
      if (bytes.length === 0) break;
      const index = chunks.length;
      const size = bytes.length;
      chunks.push({ digest: '', size });
      length += size;
      const hashed = Promise.all([sha256HexAsync(bytes), image.update(bytes)]).then(
        ([digest]) => {
          chunks[index] = { digest, size };
          free.push(slot);
        },
        (error: unknown) =>
          void (failed.error ??= error instanceof Error ? error : new Error(String(error))),
      );
      busy.add(hashed);
      void hashed.finally(() => busy.delete(hashed));
      onProgress(length);
      if (size < chunkSize) break;
    }
    await Promise.all(busy);
    const error = failed.error as Error | undefined; // set by the hashing callbacks meanwhile
    if (error) throw error;
    return {
      chunkSize,
      length,
      imageDigest: await image.digest(),
      root: manifestRoot(chunks),
      chunks,
    };
  } finally {
    await Promise.allSettled(busy); // nothing left reading a buffer of a closed file
    await image.close();
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
