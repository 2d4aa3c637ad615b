/** One changed range: bytes written at `offset`, or `length` bytes zeroed. */
export type ImageChange =
  { kind: 'w'; offset: number; bytes: Buffer } | { kind: 'z'; offset: number; length: number };

/**
 * The records a change-stream writer makes (`ChangeStreamWriter` of @snapferry/storage, passed
 * in so that this library does not depend on the one it helps to test).
 */
export interface ChangeStreamRecords {
  header(): Buffer;
  size(size: number): Buffer;
  write(offset: number, length: number): Buffer;
  bytes(bytes: Buffer): Buffer;
  zero(offset: number, length: number): Buffer;
  end(): Buffer;
}

/** The body of POST …/data/changes for `changes` (with a size record if `size` is given). */
export function changeStreamOf(
  w: ChangeStreamRecords,
  changes: ImageChange[],
  size?: number,
): Buffer {
  const out = [w.header()];
  if (size !== undefined) out.push(w.size(size));
  for (const c of changes)
    if (c.kind === 'w') out.push(w.write(c.offset, c.bytes.length), w.bytes(c.bytes));
    else out.push(w.zero(c.offset, c.length));
  out.push(w.end());
  return Buffer.concat(out);
}

/** `image` with `changes` applied, cut or zero-extended to `size` bytes. */
export function applyChanges(image: Buffer, changes: ImageChange[], size = image.length): Buffer {
  const out = Buffer.alloc(size);
  image.copy(out, 0, 0, Math.min(size, image.length));
  for (const c of changes)
    if (c.kind === 'w') c.bytes.copy(out, c.offset);
    else out.fill(0, c.offset, c.offset + c.length);
  return out;
}
