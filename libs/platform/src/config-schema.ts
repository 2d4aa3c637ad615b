import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseByteSize, parseRateLimit } from './config-values';

/**
 * Every environment variable, declared once: how its text is read (a zod schema: unset or
 * empty gives the default), the default as the README shows it, and what it means. The
 * README's configuration table is made from this list (`config-docs.unit.spec.ts` fails when
 * they differ), so a variable cannot be added, renamed or re-defaulted in one place only.
 */
export interface EnvVariable<T = unknown> {
  name: string;
  /** Reads the variable's text (undefined when unset); a bad value is an issue naming it. */
  schema: z.ZodType<T, string | undefined>;
  /** The default, in the README's words. */
  defaultText: string;
  meaning: string;
}

/** A value a parser refused: the message names the variable and says what it takes. */
const refuse = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

/** How a variable's text is read, made for its name (which its refusals say). */
type SchemaOf<T> = (name: string) => z.ZodType<T, string | undefined>;

/** Text as given; unset: `fallback` (an empty value is kept, as the services always did). */
const text = (fallback: string) => () =>
  z
    .string()
    .optional()
    .transform((raw) => raw ?? fallback);

/** Trimmed text, or null when unset or blank. */
const optionalText = () => () =>
  z
    .string()
    .optional()
    .transform((raw) => raw?.trim() || null);

/** An integer ≥ `min`; unset or empty: `fallback`. */
const integer =
  (fallback: number, min = 0) =>
  (name: string) =>
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined || raw === '') return fallback;
        const value = Number(raw);
        if (!Number.isInteger(value) || value < min)
          return refuse(ctx, `${name} must be an integer ≥ ${min}, got "${raw}"`);
        return value;
      });

/** Read by a parser of ours that throws a ConfigError naming the variable. */
const parsedBy =
  <T>(parse: (name: string, raw: string | undefined) => T) =>
  (name: string) =>
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        try {
          return parse(name, raw);
        } catch (error) {
          return refuse(ctx, (error as Error).message);
        }
      });

/** A byte count (`536870912`, `512MiB`); unset or empty: null (the caller's default). */
const byteSize = () => parsedBy((name, raw) => parseByteSize(name, raw, 0) || null);

/** Comma-separated names, trimmed, none empty. */
const list = () => () =>
  z
    .string()
    .optional()
    .transform((raw) =>
      (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

const variable = <T>(
  name: string,
  schemaOf: SchemaOf<T>,
  defaultText: string,
  meaning: string,
): EnvVariable<T> => ({ name, schema: schemaOf(name), defaultText, meaning });

/** What the catalog and the replicators read at start (`loadConfig`), in the README's order. */
export const serviceVariables = {
  DATABASE_URL: variable(
    'DATABASE_URL',
    text('postgres://postgres@127.0.0.1:5432/snapferry'),
    '`postgres://postgres@127.0.0.1:5432/snapferry`',
    "the catalog's database (created if missing)",
  ),
  REPLICATOR_DATABASE_URL: variable(
    'REPLICATOR_DATABASE_URL',
    text('postgres://postgres@127.0.0.1:5432/snapferry_replicator'),
    '`postgres://postgres@127.0.0.1:5432/snapferry_replicator`',
    "the replicators' database; one schema per region",
  ),
  AMQP_URL: variable(
    'AMQP_URL',
    text('amqp://guest:guest@127.0.0.1:5672'),
    '`amqp://guest:guest@127.0.0.1:5672`',
    'RabbitMQ',
  ),
  PORT: variable('PORT', integer(3000), '`3000`', "the catalog's HTTP port"),
  REPLICATOR_PORT: variable(
    'REPLICATOR_PORT',
    integer(3001),
    '`3001`',
    "a replicator's `/health`, `/metrics` and store service (`/v1/store/`) port",
  ),
  SNAPFERRY_DATA_DIR: variable(
    'SNAPFERRY_DATA_DIR',
    text(join(tmpdir(), 'snapferry-data')),
    '`$TMPDIR/snapferry-data`',
    "where the filesystem snapshot stores keep each region's chunks",
  ),
  SNAPFERRY_API_KEYS: variable(
    'SNAPFERRY_API_KEYS',
    optionalText(),
    'required (`npm start`: the development keys)',
    'comma-separated `<key or sha256:hex>=<accountId>:<user or operator>`',
  ),
  SNAPFERRY_CLOUD_KEYS: variable(
    'SNAPFERRY_CLOUD_KEYS',
    () => z.string().optional(),
    'none: the endpoint is off (`npm start`: development key)',
    '`<SecretId>:<SecretKey>=<accountId>:<role>`, comma-separated, for `POST /`',
  ),
  SNAPFERRY_DEVELOPMENT_KEYS: variable(
    'SNAPFERRY_DEVELOPMENT_KEYS',
    () =>
      z
        .string()
        .optional()
        .transform((raw, ctx) => {
          const value = raw?.trim() ?? '';
          if (value === '1') return true;
          if (value === '' || value === '0') return false;
          return refuse(
            ctx,
            `SNAPFERRY_DEVELOPMENT_KEYS must be 1 (npm start sets it, for a developer machine only) or unset; got "${value.slice(0, 20)}"`,
          );
        }),
    'unset (`npm start`: `1`)',
    '`1`: unset key variables take the public development keys (Security)',
  ),
  SNAPFERRY_REGIONS_FILE: variable(
    'SNAPFERRY_REGIONS_FILE',
    optionalText(),
    'built-in catalog',
    'JSON file replacing the region catalog (below)',
  ),
  REPLICATOR_REGIONS: variable(
    'REPLICATOR_REGIONS',
    list(),
    'every region',
    'the regions one replicator process serves',
  ),
  REPLICATOR_MAX_BYTES_PER_SEC: variable(
    'REPLICATOR_MAX_BYTES_PER_SEC',
    (name) => integer(0)(name).transform((bytes) => (bytes > 0 ? bytes : null)),
    'none',
    'per-region bandwidth limit for copies',
  ),
  REPLICATOR_MAX_CONCURRENT_COPIES: variable(
    'REPLICATOR_MAX_CONCURRENT_COPIES',
    integer(20, 1),
    '`20`',
    'copies in flight per region (all its replicators); the rest wait in the queue',
  ),
  REPLICATOR_CLAIM_LEASE_MS: variable(
    'REPLICATOR_CLAIM_LEASE_MS',
    integer(30_000, 1_000),
    '`30000`',
    "a replicator's claim on a copy lapses this long after its last heartbeat",
  ),
  SNAPFERRY_CHUNK_SIZE: variable(
    'SNAPFERRY_CHUNK_SIZE',
    integer(4 * 1024 * 1024, 1024),
    '`4194304`',
    'chunk size in bytes of uploads into regions without a `chunkSize` of their own (regions file)',
  ),
  SNAPFERRY_DELIVERY_LIMIT: variable(
    'SNAPFERRY_DELIVERY_LIMIT',
    integer(10, 1),
    '`10`',
    'deliveries of a message before it is dead-lettered (quorum `x-delivery-limit`)',
  ),
  SNAPFERRY_GC_GRACE_MS: variable(
    'SNAPFERRY_GC_GRACE_MS',
    integer(10 * 60 * 1000),
    '`600000`',
    'chunks younger than this are never collected (uploads and copies in flight)',
  ),
  SNAPFERRY_REGION_SECRET: variable(
    'SNAPFERRY_REGION_SECRET',
    text(''),
    'none',
    'signs every store call between services; required once a region has `storeUrl`',
  ),
  SNAPFERRY_REGION_RETRY_MS: variable(
    'SNAPFERRY_REGION_RETRY_MS',
    integer(10 * 60 * 1000),
    '`600000`',
    "how long a call to another region's store retries before a copy fails",
  ),
  SNAPFERRY_GC_INTERVAL_MS: variable(
    'SNAPFERRY_GC_INTERVAL_MS',
    integer(60 * 1000),
    '`60000`',
    'after deletions, a region is swept for garbage at most once per this interval',
  ),
  SNAPFERRY_GC_PERIOD_MS: variable(
    'SNAPFERRY_GC_PERIOD_MS',
    integer(60 * 60 * 1000, 1000),
    '`3600000`',
    'every region is swept at least this often, deletions or not',
  ),
  SNAPFERRY_MAX_EVENT_STREAMS: variable(
    'SNAPFERRY_MAX_EVENT_STREAMS',
    integer(8, 1),
    '`8`',
    'server-sent event streams one API key may hold open; more get 429',
  ),
  SNAPFERRY_POLICY_RETENTION_INTERVAL_MS: variable(
    'SNAPFERRY_POLICY_RETENTION_INTERVAL_MS',
    integer(60 * 1000, 100),
    '`60000`',
    "how often each replication policy's pass (catch-up copies, retention) runs",
  ),
  SNAPFERRY_RATE_LIMIT: variable(
    'SNAPFERRY_RATE_LIMIT',
    parsedBy((_, raw) => parseRateLimit(raw)),
    'off',
    'requests per API key, `50/s`, `3000/m` or `100000/h`; over it 429',
  ),
  SNAPFERRY_TLS_CERT: variable(
    'SNAPFERRY_TLS_CERT',
    optionalText(),
    'none: plain HTTP',
    'PEM certificate (chain): the catalog and replicator ports serve HTTPS',
  ),
  SNAPFERRY_TLS_KEY: variable(
    'SNAPFERRY_TLS_KEY',
    optionalText(),
    'none',
    'its PEM private key; set both or neither',
  ),
  SNAPFERRY_UPLOAD_MEMORY: variable(
    'SNAPFERRY_UPLOAD_MEMORY',
    (name) => byteSize()(name).transform((bytes) => bytes ?? 512 * 1024 ** 2),
    '`512MiB`',
    'upload bodies the catalog holds in memory at once (bytes, or `KiB`/`MiB`/`GiB`); over it 429',
  ),
  SNAPFERRY_UPLOAD_MEMORY_PER_KEY: variable(
    'SNAPFERRY_UPLOAD_MEMORY_PER_KEY',
    byteSize(),
    'a quarter of `SNAPFERRY_UPLOAD_MEMORY`',
    'the same for one API key',
  ),
  SNAPFERRY_BODY_TIMEOUT_MS: variable(
    'SNAPFERRY_BODY_TIMEOUT_MS',
    integer(30_000, 100),
    '`30000`',
    'the window a request body is judged over; a window too slow gets 408',
  ),
  SNAPFERRY_BODY_MIN_BYTES_PER_SEC: variable(
    'SNAPFERRY_BODY_MIN_BYTES_PER_SEC',
    integer(1024),
    '`1024`',
    'what a body must bring per second over a window (at least one byte per window)',
  ),
  SNAPFERRY_S3_TIMEOUT_MS: variable(
    'SNAPFERRY_S3_TIMEOUT_MS',
    integer(30_000, 100),
    '`30000`',
    'one try of an S3 call that moves no byte for this long is abandoned and tried again (a gateway that hangs)',
  ),
  LOG_LEVEL: variable('LOG_LEVEL', text('info'), '`info`', 'pino level'),
} satisfies Record<string, EnvVariable>;

/** A variable documented here and read elsewhere: its README label (name and who reads it). */
export interface OtherVariable {
  label: string;
  defaultText: string;
  meaning: string;
}

/**
 * Variables read by others than `loadConfig`, with their own readers: the CLI's, the bucket
 * credentials (one per region, `@snapferry/storage` region-credentials) and the AWS SDK's
 * chain. Declared here so the README's table stays whole.
 */
export const otherVariables: readonly OtherVariable[] = [
  {
    label: '`SNAPFERRY_CA_FILE` (CLI)',
    defaultText: "the system's CAs",
    meaning: 'an extra PEM CA the CLI trusts for an `https://` `SNAPFERRY_URL`',
  },
  {
    label: '`SNAPFERRY_S3_ACCESS_KEY_ID_<REGION>`',
    defaultText: "the AWS SDK's chain",
    meaning:
      "the access key of that region's bucket (`objectStore`); region id upper-cased, `-` as `_`: `…_AP_GUANGZHOU`",
  },
  {
    label: '`SNAPFERRY_S3_SECRET_ACCESS_KEY_<REGION>`',
    defaultText: "the AWS SDK's chain",
    meaning: 'its secret key; set both or neither',
  },
  {
    label: '`SNAPFERRY_S3_SESSION_TOKEN_<REGION>`',
    defaultText: 'none',
    meaning: 'a session token for temporary keys of that region',
  },
  {
    label: '`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`',
    defaultText: 'none',
    meaning:
      "the AWS SDK's standard chain (also `~/.aws`, SSO, instance roles): every bucket-backed region without keys of its own",
  },
];

const serviceSchema = z.object(
  Object.fromEntries(Object.entries(serviceVariables).map(([name, v]) => [name, v.schema])) as {
    [K in keyof typeof serviceVariables]: (typeof serviceVariables)[K]['schema'];
  },
);

/** The service variables, each read by its schema. */
export type ServiceEnv = z.output<typeof serviceSchema>;

const issues = (error: z.ZodError) =>
  new ConfigError(error.issues.map((issue) => issue.message).join('; '));

/**
 * Reads every service variable at once; a ConfigError reports every bad one (each message
 * names its variable), not only the first.
 */
export function readServiceEnv(env: NodeJS.ProcessEnv): ServiceEnv {
  const result = serviceSchema.safeParse(env);
  if (!result.success) throw issues(result.error);
  return result.data;
}

/** Reads one declared variable (for readers that need only it). */
export function readVariable<T>(variable: EnvVariable<T>, env: NodeJS.ProcessEnv): T {
  const result = variable.schema.safeParse(env[variable.name]);
  if (!result.success) throw issues(result.error);
  return result.data;
}
