import { InvalidArgumentError } from 'commander';

/** Option parsers: a bad value is a usage error (exit 2) before any request is sent. */
export function nonNegativeInt(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n < 1) throw new InvalidArgumentError('expected a number of at least 1');
  return n;
}

/** `--to ap-shanghai,ap-singapore` (spaces allowed; empty items and repeats refused). */
export function regionList(value: string): string[] {
  const regions = value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  if (regions.length === 0) throw new InvalidArgumentError('name at least one region');
  const repeated = regions.find((r, i) => regions.indexOf(r) !== i);
  if (repeated) throw new InvalidArgumentError(`region ${repeated} is named twice`);
  return regions;
}

/** A global position in the event log. */
export function position(value: string): string {
  if (!/^\d{1,18}$/.test(value))
    throw new InvalidArgumentError('expected a global position (a whole number)');
  return value;
}

const GiB = 1024 ** 3;
/** The disk size a file needs: its size in GiB rounded up, at least 1. */
export const diskSizeFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / GiB));
