import { createHash, type Hash } from 'node:crypto';
import { manifestRoot, type ManifestChunk } from './manifest';

/**
 * A manifest root computed from the image's bytes as they stream by (a read-back, a local
 * file): cuts them into `chunkSize` chunks, hashes each, and gives the chunks and their root.
 * What a client checks a snapshot made from changed ranges by (it has no whole-image SHA-256).
 */
export class ManifestRootStream {
  readonly chunks: ManifestChunk[] = [];
  private hash: Hash = createHash('sha256');
  private filled = 0;

  constructor(readonly chunkSize: number) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
      throw new RangeError(`bad chunk size ${chunkSize}`);
  }

  update(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(this.chunkSize - this.filled, bytes.length - at);
      this.hash.update(bytes.subarray(at, at + n));
      this.filled += n;
      at += n;
      if (this.filled === this.chunkSize) this.cut();
    }
  }

  /** The root over every chunk so far (the last one may be short). */
  root(): string {
    if (this.filled > 0) this.cut();
    return manifestRoot(this.chunks);
  }

  private cut(): void {
    this.chunks.push({ digest: this.hash.digest('hex'), size: this.filled });
    this.hash = createHash('sha256');
    this.filled = 0;
  }
}
