const MiB = 1024 * 1024;

/**
 * Chunk-sized buffers lent and given back, on SharedArrayBuffers: a chunk read into one is
 * hashed on a worker thread where it lies (no copy), and steady uploads allocate nothing (a
 * fresh 4 MiB buffer per chunk cost page faults and, through V8's external-memory accounting,
 * frequent full garbage collections). Borrowing more than is idle allocates, so a burst is never
 * refused (callers bound what they hold: the catalog's upload memory budget); idle buffers are
 * kept up to `keepBytes` in all, the rest dropped, so the memory of a burst goes back.
 */
export class ChunkBuffers {
  private readonly idle: Buffer[] = [];
  private idleBytes = 0;
  /** The memory of every buffer lent and not yet given back: nothing else is ever taken in. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(private readonly keepBytes = 64 * MiB) {}

  /** A buffer of exactly `size` bytes (contents undefined); give it back when done with it. */
  borrow(size: number): Buffer {
    const i = this.idle.findIndex((buffer) => buffer.buffer.byteLength >= size);
    const buffer = i >= 0 ? this.idle.splice(i, 1)[0]! : Buffer.from(new SharedArrayBuffer(size));
    if (i >= 0) this.idleBytes -= buffer.buffer.byteLength;
    this.lent.add(buffer.buffer);
    return buffer.buffer.byteLength === size ? buffer : buffer.subarray(0, size);
  }

  /**
   * Returns a buffer from `borrow`; it must not be used afterwards. Any other buffer (one a
   * store allocated itself, say) is ignored, so callers may give back whatever they were handed.
   */
  giveBack(buffer: Uint8Array): void {
    if (!this.lent.delete(buffer.buffer)) return;
    const size = buffer.buffer.byteLength;
    if (this.idleBytes + size > this.keepBytes) return; // dropped: the collector frees it
    this.idle.push(Buffer.from(buffer.buffer, 0, size));
    this.idleBytes += size;
  }

  /** Bytes kept idle for the next borrower. */
  get idleByteLength(): number {
    return this.idleBytes;
  }
}

let shared: ChunkBuffers | undefined;

/** The process's chunk buffers (up to 64 MiB kept idle: 16 chunks of 4 MiB). */
export const chunkBuffers = (): ChunkBuffers => (shared ??= new ChunkBuffers());
