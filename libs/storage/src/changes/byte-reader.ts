/**
 * Pulls exact byte counts out of a stream of pieces of any size, so a parser of a binary
 * format never cares where the stream was cut (a record's header may arrive in two pieces).
 * Small reads (`exact`) are copied; bulk data (`pieces`) is handed on as it arrives, so memory
 * stays at one piece whatever the record's length.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private head: Buffer = Buffer.alloc(0);
  private ended = false;
  /** Bytes handed out so far: where the reader stands in the stream. */
  position = 0;

  constructor(
    source: AsyncIterable<Uint8Array>,
    /** Called with every byte handed out, in order (a running digest, a byte count). */
    private readonly onConsumed: (bytes: Buffer) => void = () => undefined,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Whether the stream has no byte left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Exactly `n` bytes (copied), or null if the stream ends first (`short` says how many came). */
  async exact(n: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let missing = n;
    while (missing > 0) {
      if (!(await this.fill())) return null;
      parts.push(this.take(missing));
      missing -= parts[parts.length - 1]!.length;
    }
    return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts);
  }

  /** The next `n` bytes as they arrive; throws `EndOfStream` if the stream ends first. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let missing = n;
    while (missing > 0) {
      if (!(await this.fill())) throw new EndOfStream(n - missing, n);
      const piece = this.take(missing);
      missing -= piece.length;
      yield piece;
    }
  }

  private take(max: number): Buffer {
    const piece = this.head.subarray(0, Math.min(max, this.head.length));
    this.head = this.head.subarray(piece.length);
    this.position += piece.length;
    this.onConsumed(piece);
    return piece;
  }

  private async fill(): Promise<boolean> {
    while (this.head.length === 0) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.head = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
    return true;
  }
}

/** The stream ended inside a record. */
export class EndOfStream extends Error {
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`the stream ended after ${received} of ${expected} bytes of a record`);
    this.name = 'EndOfStream';
  }
}
