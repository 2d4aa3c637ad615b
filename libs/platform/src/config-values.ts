/** The parsers of single values: no variable list here (that is config-schema.ts). */

/** A configuration mistake: the service refuses to start and says which variable and why. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const units: Record<string, number> = { '': 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/** A byte count: `536870912`, `512MiB`, `64 KiB`, `1GiB`; undefined or empty: `fallback`. */
export function parseByteSize(name: string, value: string | undefined, fallback: number): number {
  const text = (value ?? '').trim();
  if (text === '') return fallback;
  const match = /^(\d{1,15})\s*([KMG]iB)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * units[(match[2] ?? '').toUpperCase()]! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new ConfigError(
      `${name} must be a positive number of bytes, optionally with KiB, MiB or GiB (such as 512MiB); got "${text}"`,
    );
  return bytes;
}

export interface RateLimit {
  limit: number;
  windowMs: number;
}

const windows: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `50/s`, `3000/m`, `100000/h`; empty or `off`: no limit. */
export function parseRateLimit(value: string | undefined): RateLimit | null {
  const text = (value ?? '').trim();
  if (text === '' || text === 'off') return null;
  const match = /^([1-9]\d{0,8})\s*\/\s*([smh])$/.exec(text);
  if (!match)
    throw new ConfigError(
      `SNAPFERRY_RATE_LIMIT must be <requests>/<s|m|h> per API key, such as 50/s or 3000/m, or off; got "${text}"`,
    );
  return { limit: Number(match[1]), windowMs: windows[match[2]!]! };
}
