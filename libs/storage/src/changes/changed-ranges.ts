/** One changed byte range of a disk: new bytes (`write`) or zeros (`zero`, a discard/trim). */
export interface ChangedRange {
  offset: number;
  length: number;
}

/** Why a list of changed ranges is refused; `code` is the API's error code. */
export type RangeProblem =
  | 'InvalidParameter.RangeOutOfDisk'
  | 'InvalidParameter.RangesOverlap'
  | 'InvalidParameter.RangesUnsorted'
  | 'InvalidParameter.Range';

export class ChangedRangeError extends Error {
  constructor(
    readonly code:
      | RangeProblem
      | 'InvalidParameter.ChangesFormat'
      | 'InvalidParameter.ChangesDigest'
      | 'UnsupportedOperation.SnapshotDataTooLarge',
    message: string,
  ) {
    super(message);
    this.name = 'ChangedRangeError';
  }
}

/**
 * Checks ranges one at a time, as they stream: each must be non-empty, inside the disk
 * (`[0, diskLength)`), and start at or after the end of the one before (sorted, not
 * overlapping; touching is fine). Pure: the first bad range throws, before anything uses it.
 */
export class RangeOrder {
  private end = 0;
  private start = -1;
  count = 0;

  constructor(readonly diskLength: number) {}

  check(range: ChangedRange): void {
    const { offset, length } = range;
    const where = `range ${this.count} (offset ${offset}, length ${length})`;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 1)
      throw new ChangedRangeError(
        'InvalidParameter.Range',
        `${where}: offset must be a whole number ≥ 0 and length ≥ 1`,
      );
    if (offset + length > this.diskLength)
      throw new ChangedRangeError(
        'InvalidParameter.RangeOutOfDisk',
        `${where} ends at byte ${offset + length}, past the end of the disk (${this.diskLength} bytes)`,
      );
    if (offset < this.start)
      throw new ChangedRangeError(
        'InvalidParameter.RangesUnsorted',
        `${where} starts before the range before it (offset ${this.start}): sort the ranges by offset`,
      );
    if (offset < this.end)
      throw new ChangedRangeError(
        'InvalidParameter.RangesOverlap',
        `${where} overlaps the range before it (which ends at byte ${this.end})`,
      );
    this.start = offset;
    this.end = offset + length;
    this.count++;
  }
}

/** Checks a whole list (the CLI does, before it sends a byte). */
export function checkRanges(ranges: readonly ChangedRange[], diskLength: number): void {
  const order = new RangeOrder(diskLength);
  for (const range of ranges) order.check(range);
}
