/**
 * Chunk-sized buffers lent and given back, on SharedArrayBuffers: a chunk read into one is
 * hashed on a worker thread where it lies (no copy), and steady uploads allocate nothing (a
 * fresh 4 MiB buffer per chunk cost page faults and, through V8's external-memory accounting,
 * frequent full garbage collections). Keeps at most `keep` idle buffers; borrowing more than
 * that allocates, so a burst is never refused.
 */
export class ChunkBuffers {
  private readonly idle: Buffer[] = [];
  /** The memory of every buffer lent and not yet given back: nothing else is ever taken in. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(private readonly keep = 8) {}

  /** A buffer of exactly `size` bytes (contents undefined); give it back when done with it. */
  borrow(size: number): Buffer {
    const i = this.idle.findIndex((buffer) => buffer.buffer.byteLength >= size);
    const buffer = i >= 0 ? this.idle.splice(i, 1)[0]! : Buffer.from(new SharedArrayBuffer(size));
    this.lent.add(buffer.buffer);
    return buffer.buffer.byteLength === size ? buffer : buffer.subarray(0, size);
  }

  /**
   * Returns a buffer from `borrow`; it must not be used afterwards. Any other buffer (one a
   * store allocated itself, say) is ignored, so callers may give back whatever they were handed.
   */
  giveBack(buffer: Uint8Array): void {
    if (!this.lent.delete(buffer.buffer)) return;
    if (this.idle.length < this.keep)
      this.idle.push(Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength));
  }
}

let shared: ChunkBuffers | undefined;

/** The process's chunk buffers. */
export const chunkBuffers = (): ChunkBuffers => (shared ??= new ChunkBuffers());
