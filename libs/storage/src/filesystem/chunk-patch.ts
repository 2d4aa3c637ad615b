import { isDigest } from '../ids';

/**
 * A chunk kept as the parts where it differs from a whole chunk of the same size: what a
 * snapshot made from changed ranges stores for a chunk a small write touched, instead of the
 * chunk again. Never a patch of a patch: a patch's base is always a whole chunk file.
 */
export interface ChunkPatch {
  /** The whole chunk the parts are laid over. */
  base: string;
  /** The patched chunk's size (the base's). */
  size: number;
  /** [from, to) offsets in the chunk: sorted, apart, inside the size. */
  parts: [number, number][];
}

/** A patch is kept only while its parts hold at most this share of the chunk. */
export const PATCH_MAX_SHARE = 1 / 4;

const magic = 'snapferry-patch 1 ';

/** Bytes the parts cover. */
export const partsLength = (parts: readonly [number, number][]): number =>
  parts.reduce((sum, [from, to]) => sum + to - from, 0);

/** The union of two sorted part lists, sorted, with touching or overlapping parts merged. */
export function mergeParts(
  a: readonly [number, number][],
  b: readonly [number, number][],
): [number, number][] {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of all) {
    const last = merged.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** The patch file: one header line (magic and JSON), then the chunk's bytes of each part in order. */
export function encodePatch(patch: ChunkPatch, chunk: Uint8Array): Buffer {
  if (chunk.byteLength !== patch.size)
    throw new Error(`a ${patch.size}-byte patch cannot take a ${chunk.byteLength}-byte chunk`);
  const header = Buffer.from(`${magic}${JSON.stringify(patch)}\n`);
  return Buffer.concat([header, ...patch.parts.map(([from, to]) => chunk.subarray(from, to))]);
}

/** The patch and its parts' bytes from a patch file; throws where the file is not a whole one. */
export function decodePatch(file: Buffer): { patch: ChunkPatch; bytes: Buffer } {
  const end = file.indexOf(0x0a);
  if (end < 0 || file.toString('latin1', 0, magic.length) !== magic)
    throw new Error('not a chunk patch');
  const patch = JSON.parse(file.toString('utf8', magic.length, end)) as ChunkPatch;
  const { base, size, parts } = patch;
  if (!isDigest(base) || !Number.isSafeInteger(size) || size <= 0 || !Array.isArray(parts))
    throw new Error('a chunk patch header without its base, size or parts');
  let at = 0;
  for (const part of parts) {
    const [from, to] = Array.isArray(part) ? part : [];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from! < at || to! <= from!)
      throw new Error('a chunk patch whose parts are not sorted and apart');
    at = to!;
  }
  if (at > size) throw new Error('a chunk patch with parts past its size');
  const bytes = file.subarray(end + 1);
  if (bytes.length !== partsLength(parts))
    throw new Error('a chunk patch whose bytes do not fill its parts');
  return { patch, bytes };
}

/** Lays the parts' bytes over the base chunk, in place. */
export function applyPatch(base: Buffer, { parts }: ChunkPatch, bytes: Buffer): Buffer {
  let at = 0;
  for (const [from, to] of parts) {
    bytes.copy(base, from, at, at + to - from);
    at += to - from;
  }
  return base;
}
