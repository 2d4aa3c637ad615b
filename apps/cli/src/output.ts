import type TableModule from 'cli-table3';

/** cli-table3, loaded by the first table: ~25 ms of start-up that commands printing JSON or one line do not pay. */
let Table: typeof TableModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- table() is synchronous
const tables = () => (Table ??= require('cli-table3') as typeof TableModule);

/** Where text goes: process.stdout / process.stderr, or a buffer in tests. */
export interface Sink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * People get tables, scripts get `--json` (one JSON document on stdout, nothing else there).
 * Progress and notices go to stderr so that stdout stays parseable.
 */
export class Output {
  constructor(
    readonly json: boolean,
    readonly stdout: Sink,
    readonly stderr: Sink,
  ) {}

  /** The command's result: `data` as JSON, or the human rendering. */
  result(data: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
  }

  /** One line per item while following (`events --follow`): NDJSON or text. */
  item(data: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human()}\n`);
  }

  notice(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}

// No colours: tables are also read from pipes and logs.
const plain = { head: [], border: [] };

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new (tables())({ head, style: plain });
  t.push(...rows.map((row) => row.map(String)));
  return t.toString();
}

/** A vertical key/value table for one resource. */
export function details(pairs: [string, string | number | boolean | null | undefined][]): string {
  const t = new (tables())({ style: plain });
  t.push(...pairs.map(([key, value]) => ({ [key]: show(value) })));
  return t.toString();
}

export const show = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined || value === '' ? '-' : String(value);

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Seconds as people read an age: `42s`, `5m 07s`, `3h 02m`, `2d 04h`. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}
