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

export interface TagOption {
  key: string;
  value: string;
}

/**
 * `--tag tier=gold` (split at the first `=`; the value may be empty, the key may not). Repeated
 * options gather into a list; the catalog judges the characters and the reserved `snapferry:` keys.
 */
export function tag(value: string, previous: TagOption[] = []): TagOption[] {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value, e.g. tier=gold');
  const parsed = { key: value.slice(0, at), value: value.slice(at + 1) };
  if (previous.some((t) => t.key === parsed.key))
    throw new InvalidArgumentError(`tag ${parsed.key} is given twice`);
  return [...previous, parsed];
}

/** `--disk disk-a,disk-b`, repeatable: every id once. */
export function idList(value: string, previous: string[] = []): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  if (ids.length === 0) throw new InvalidArgumentError('name at least one id');
  const all = [...previous, ...ids];
  const repeated = all.find((id, i) => all.indexOf(id) !== i);
  if (repeated) throw new InvalidArgumentError(`${repeated} is named twice`);
  return all;
}

/** `--to` that may be repeated: the regions of every occurrence, none twice. */
export function regionLists(value: string, previous: string[] = []): string[] {
  const all = [...previous, ...regionList(value)];
  const repeated = all.find((r, i) => all.indexOf(r) !== i);
  if (repeated) throw new InvalidArgumentError(`region ${repeated} is named twice`);
  return all;
}

const durationUnits: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--deadline`: an ISO 8601 time with its zone (`2026-12-04T18:00:00Z`) or a duration from now
 * (`90s`, `30m`, `2h`, `1d`); sent as an ISO time. Whether it is far enough ahead is the catalog's call.
 */
export function deadline(value: string, now: () => Date = () => new Date()): string {
  const duration = /^(\d{1,6})([smhd])$/.exec(value);
  if (duration) {
    const ms = Number(duration[1]) * durationUnits[duration[2]!]!;
    if (ms === 0) throw new InvalidArgumentError('a deadline must be in the future');
    return new Date(now().getTime() + ms).toISOString();
  }
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  const time = Date.parse(value);
  if (!zoned.test(value) || Number.isNaN(time))
    throw new InvalidArgumentError(
      'expected an ISO time with its zone (2026-12-04T18:00:00Z) or a duration from now (30m, 2h, 1d)',
    );
  return new Date(time).toISOString();
}
