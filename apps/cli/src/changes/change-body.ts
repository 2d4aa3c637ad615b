import type { FileHandle } from 'node:fs/promises';
import { ChangeStreamWriter, changesMagic } from '@snapferry/storage';
import { UsageError } from '../errors';
import type { RbdDiffEvent } from './rbd-diff';
import type { ListedRange } from './ranges-file';

/** What building a change stream cost, as it goes: the bench and the progress bar read it. */
export interface BodyCounters {
  /** Bytes read from the image file (or the rbd diff's data records). */
  bytesRead: number;
  /** Bytes of the request body so far. */
  bytesSent: number;
  /** How far into the disk the ranges have got (for the progress bar). */
  position: number;
}

export const newCounters = (): BodyCounters => ({ bytesRead: 0, bytesSent: 0, position: 0 });

/** Bytes read from the image at once: memory stays at one piece whatever a range's length. */
const pieceSize = 1024 * 1024;

/**
 * The change stream for ranges of an image file: the zero ranges as records only, the others
 * with their bytes read from the file (and nothing else of it). Its exact length is known in
 * advance, so it goes with a Content-Length.
 */
export function rangesBody(
  file: FileHandle,
  path: string,
  ranges: readonly ListedRange[],
  size: number | undefined,
  counters: BodyCounters,
): { body: AsyncIterable<Buffer>; length: number } {
  const length =
    changesMagic.length +
    (size === undefined ? 0 : 9) +
    ranges.reduce((sum, r) => sum + 17 + (r.zero ? 0 : r.length), 0) +
    33;
  async function* body(): AsyncGenerator<Buffer> {
    const w = new ChangeStreamWriter();
    const out = (bytes: Buffer) => {
      counters.bytesSent += bytes.length;
      return bytes;
    };
    yield out(w.header());
    if (size !== undefined) yield out(w.size(size));
    const piece = Buffer.allocUnsafe(
      Math.min(pieceSize, Math.max(1, ...ranges.map((r) => r.length))),
    );
    for (const range of ranges) {
      if (range.zero) {
        yield out(w.zero(range.offset, range.length));
        counters.position = range.offset + range.length;
        continue;
      }
      yield out(w.write(range.offset, range.length));
      for (let done = 0; done < range.length;) {
        const want = Math.min(piece.length, range.length - done);
        const { bytesRead } = await file.read(piece, 0, want, range.offset + done);
        if (bytesRead !== want)
          throw new UsageError(
            `${path} ended at byte ${range.offset + done + bytesRead}, inside a changed range`,
          );
        counters.bytesRead += bytesRead;
        done += bytesRead;
        counters.position = range.offset + done;
        // A copy: the piece buffer is reused for the next read while this one is on its way.
        yield out(w.bytes(Buffer.from(piece.subarray(0, bytesRead))));
      }
    }
    yield out(w.end());
  }
  return { body: body(), length };
}

/** An rbd export-diff stream's start: its metadata (read before anything is registered). */
export interface RbdDiffStart {
  from?: string;
  to?: string;
  size?: number;
  /** The rest of the stream, from its first data record on. */
  rest: AsyncIterator<RbdDiffEvent>;
  first: IteratorResult<RbdDiffEvent>;
}

/** Reads an rbd diff's metadata records (they come first): the sizes and names a create needs. */
export async function rbdDiffStart(events: AsyncIterable<RbdDiffEvent>): Promise<RbdDiffStart> {
  const rest = events[Symbol.asyncIterator]();
  const start: Omit<RbdDiffStart, 'first'> = { rest };
  for (;;) {
    const next = await rest.next();
    if (next.done) return { ...start, first: next };
    const event = next.value;
    if (event.kind === 'from') start.from = event.snapshot;
    else if (event.kind === 'to') start.to = event.snapshot;
    else if (event.kind === 'size') start.size = event.size;
    else return { ...start, first: next };
  }
}

/** The change stream translated from an rbd diff as it arrives (no buffering beyond a piece). */
export async function* rbdBody(
  start: RbdDiffStart,
  counters: BodyCounters,
): AsyncGenerator<Buffer> {
  const w = new ChangeStreamWriter();
  const out = (bytes: Buffer) => {
    counters.bytesSent += bytes.length;
    return bytes;
  };
  yield out(w.header());
  if (start.size !== undefined) yield out(w.size(start.size));
  let skipping = false;
  for (let next = start.first; !next.done; next = await start.rest.next()) {
    const event = next.value;
    switch (event.kind) {
      case 'write':
        // rbd never writes empty extents, but nothing forbids them: they change nothing.
        skipping = event.length === 0;
        if (!skipping) yield out(w.write(event.offset, event.length));
        counters.position = event.offset;
        break;
      case 'bytes':
        counters.bytesRead += event.bytes.length;
        counters.position += event.bytes.length;
        if (!skipping) yield out(w.bytes(event.bytes));
        break;
      case 'zero':
        if (event.length > 0) yield out(w.zero(event.offset, event.length));
        counters.position = event.offset + event.length;
        break;
      case 'end':
        yield out(w.end());
        return;
      case 'from':
      case 'to':
      case 'size':
        throw new UsageError(
          `not a valid rbd export-diff stream: a '${event.kind}' record after the data began`,
        );
    }
  }
  throw new UsageError('not a valid rbd export-diff stream: it ends without its end record');
}
