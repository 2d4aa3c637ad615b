import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Disk images made of 4 MiB blocks (the default chunk size): one random block shared by all,
 * each with its own random 4 KiB head, so every chunk is distinct without generating
 * gigabytes of randomness. A "changed" block gets a new head: the same disk, a few chunks differ.
 */

export const blockSize = 4 * 1024 * 1024;
const headSize = 4096;

export class DiskImage {
  private readonly base = randomBytes(blockSize);
  private readonly heads: Buffer[];

  constructor(readonly bytes: number) {
    this.heads = Array.from({ length: Math.ceil(bytes / blockSize) }, () => randomBytes(headSize));
  }

  get blocks(): number {
    return this.heads.length;
  }

  /** A new random head for `fraction` of the blocks, spread evenly: the next snapshot of the disk. */
  change(fraction: number): number {
    const changed = Math.max(1, Math.round(this.blocks * fraction));
    for (let k = 0; k < changed; k += 1)
      this.heads[Math.floor((k * this.blocks) / changed)] = randomBytes(headSize);
    return changed;
  }

  stream(): Readable {
    return Readable.from(this.blocksOf(), { objectMode: false });
  }

  private *blocksOf(): Generator<Buffer> {
    for (let i = 0; i < this.blocks; i += 1) {
      const length = Math.min(blockSize, this.bytes - i * blockSize);
      const block = Buffer.allocUnsafe(length);
      this.base.copy(block, 0, 0, length);
      this.heads[i]!.copy(block, 0, 0, Math.min(headSize, length));
      yield block;
    }
  }

  writeTo(path: string): Promise<void> {
    return pipeline(this.stream(), createWriteStream(path));
  }
}
