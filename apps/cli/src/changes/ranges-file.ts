import { readFile } from 'node:fs/promises';
import { checkRanges, type ChangedRange } from '@snapferry/storage';
import { cannotRead, UsageError } from '../errors';

/** A changed range of the disk: new bytes to read from the image, or zeros (nothing to read). */
export interface ListedRange extends ChangedRange {
  zero: boolean;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The `--changed-ranges` file: a JSON array of
 * - `{"offset": n, "length": n}` (optionally `"zero": true`: a discarded range, nothing read), or
 * - the entries of `qemu-img map --output=json` of an overlay (`{"start", "length", "depth",
 *   "present", "zero", "data"}`): the entries at depth 0 that are present are what the overlay
 *   changed (deeper ones come from its backing file, the base), `"zero": true` ones are zeros.
 * Adjacent ranges of the same kind are merged; the list must be sorted and not overlap.
 */
export function parseRangesList(text: string, path: string): ListedRange[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${path} must hold a JSON array of ranges`);
  const ranges: ListedRange[] = [];
  parsed.forEach((entry: unknown, index) => {
    const range = asRange(entry, `${path}[${index}]`);
    if (!range) return;
    const last = ranges.at(-1);
    if (last && last.zero === range.zero && last.offset + last.length === range.offset)
      last.length += range.length;
    else ranges.push(range);
  });
  return ranges;
}

function asRange(entry: unknown, where: string): ListedRange | undefined {
  if (typeof entry !== 'object' || entry === null)
    throw new UsageError(`${where} must be {"offset", "length"} or a qemu-img map entry`);
  const e = entry as Record<string, unknown>;
  if ('start' in e) {
    // qemu-img map: only what the overlay itself holds changed.
    if (!isCount(e['start']) || !isCount(e['length']) || !isCount(e['depth']))
      throw new UsageError(`${where}: a qemu-img map entry needs start, length and depth`);
    if (e['depth'] !== 0 || e['present'] === false || e['length'] === 0) return undefined;
    return {
      offset: e['start'],
      length: e['length'],
      zero: e['zero'] === true && e['data'] !== true,
    };
  }
  if (!isCount(e['offset']) || !isCount(e['length']) || e['length'] === 0)
    throw new UsageError(`${where}: offset must be a whole number ≥ 0 and length ≥ 1`);
  return { offset: e['offset'], length: e['length'], zero: e['zero'] === true };
}

/** Reads and checks the file against the disk's size (sorted, not overlapping, inside it). */
export async function readRangesFile(path: string, diskLength: number): Promise<ListedRange[]> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw cannotRead(path, error);
  });
  const ranges = parseRangesList(text, path);
  try {
    checkRanges(ranges, diskLength);
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`);
  }
  return ranges;
}
