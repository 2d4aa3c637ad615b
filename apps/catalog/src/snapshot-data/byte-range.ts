/** A single `Range: bytes=…` request resolved against a length; end is exclusive. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

export function parseByteRange(header: string | undefined, length: number): ByteRange {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // several ranges or another unit: serve the whole body
  const [, from, to] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length };
  }
  const start = Number(from);
  const end = to === '' ? length : Math.min(length, Number(to) + 1);
  if (start >= length || end <= start) return 'unsatisfiable';
  return { start, end };
}
