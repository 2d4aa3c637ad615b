import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, parseByteSize, parseRateLimit, type RateLimit } from './config-values';
import { readServiceEnv } from './config-schema';
import {
  accountIdPattern,
  defaultRegionCatalog,
  parseRegionCatalog,
  type RegionCatalog,
} from '@snapferry/domain';

export { ConfigError, parseByteSize, parseRateLimit, type RateLimit };

export const roles = ['user', 'operator'] as const;
export type Role = (typeof roles)[number];
/** An API key as SNAPFERRY_API_KEYS holds it: 8 to 200 characters, no whitespace, `=` or `,`. */
export const apiKeyPattern = /^[^=,\s]{8,200}$/;
export { accountIdPattern };
const hashedKeyPattern = /^sha256:([0-9a-f]{64})$/i;
/** A configured API key, kept only as the SHA-256 of the key (hex); the key itself is not held. */
export interface ApiKey {
  sha256: string;
  accountId: string;
  role: Role;
  /** Which entry of SNAPFERRY_API_KEYS (`key-1`, `key-2`, …): tells two keys of one account apart. */
  keyId: string;
}

/** A credential of the cloud API 3.0 endpoint (`POST /`, TC3-HMAC-SHA256). */
export interface CloudKey {
  secretId: string;
  secretKey: string;
  accountId: string;
  role: Role;
}

/** The SHA-256 of an API key as SNAPFERRY_API_KEYS holds it (`sha256:<this>=<account>:<role>`). */
export const apiKeySha256 = (key: string): string =>
  createHash('sha256').update(key, 'utf8').digest('hex');

export interface SnapferryConfig {
  databaseUrl: string;
  replicatorDatabaseUrl: string;
  amqpUrl: string;
  port: number;
  replicatorMetricsPort: number;
  dataDir: string;
  regions: RegionCatalog;
  /** SNAPFERRY_REGION_SECRET: signs every store call between services; required once a region has a storeUrl. */
  regionSecret: string | null;
  /** How long a call to another region's store keeps retrying before the copy fails. */
  regionRetryMs: number;
  /**
   * SNAPFERRY_S3_TIMEOUT_MS: how long one try of an S3 call may go without a byte moving
   * (a silent gateway) before it is abandoned and tried again.
   */
  objectStoreTimeoutMs: number;
  /**
   * The variables that give bucket-backed regions keys of their own
   * (`SNAPFERRY_S3_*_<REGION>`), kept apart from the rest of the environment; without them a
   * region's bucket client takes the AWS SDK's chain (AWS_*, profiles). Never logged.
   */
  objectStoreEnv: NodeJS.ProcessEnv;
  replicatorRegions: string[];
  maxBytesPerSec: number | null;
  maxConcurrentCopies: number;
  /**
   * How long a replicator's claim on a copy lives without a heartbeat (renewed every third of
   * it): the copy of a replicator that died is taken over by another one after this.
   */
  claimLeaseMs: number;
  /** SNAPFERRY_CHUNK_SIZE: the chunk size of uploads into regions without a `chunkSize` of their own. */
  chunkSize: number;
  deliveryLimit: number;
  /** Chunks younger than this are never collected (uploads and copies in flight). */
  gcGraceMs: number;
  /** After deletions a region is swept at most once per this interval (a burst of deletes costs one sweep). */
  gcIntervalMs: number;
  /** Every region is swept at least this often, deletions or not (leftovers of failed writes). */
  gcPeriodMs: number;
  /**
   * How often each replication policy's pass runs (SNAPFERRY_POLICY_RETENTION_INTERVAL_MS):
   * its retention, and the copies it missed (a policy created for disks that have snapshots).
   */
  policyPassIntervalMs: number;
  /** Server-sent event streams one API key may hold open at once. */
  maxEventStreamsPerKey: number;
  /** Requests per API key and window (SNAPFERRY_RATE_LIMIT); null: no limit. */
  rateLimit: RateLimit | null;
  /** Bytes of upload bodies held in memory at once (SNAPFERRY_UPLOAD_MEMORY, …_PER_KEY). */
  uploadMemory: UploadMemoryLimits;
  /** How fast a request body must arrive (SNAPFERRY_BODY_TIMEOUT_MS, SNAPFERRY_BODY_MIN_BYTES_PER_SEC). */
  bodyPace: BodyPace;
  /** SNAPFERRY_TLS_CERT / SNAPFERRY_TLS_KEY: serve HTTPS; null: plain HTTP. */
  tls: TlsFiles | null;
  logLevel: string;
}

/** PEM files: the certificate (chain) and its private key. Paths only: the key is read at listen. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const readPem = (name: string, file: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${name} ${file} cannot be read: ${(error as Error).message}`);
  }
};

/** Checks the TLS pair (both or neither): a usable pair or a ConfigError now, not at the first client. */
function checkTls(certFile: string | null, keyFile: string | null): TlsFiles | null {
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile)
    throw new ConfigError(
      `SNAPFERRY_TLS_CERT and SNAPFERRY_TLS_KEY go together: ${certFile ? 'SNAPFERRY_TLS_KEY' : 'SNAPFERRY_TLS_CERT'} is not set`,
    );
  const cert = readPem('SNAPFERRY_TLS_CERT', certFile);
  const key = readPem('SNAPFERRY_TLS_KEY', keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `SNAPFERRY_TLS_CERT ${certFile} and SNAPFERRY_TLS_KEY ${keyFile} are not a usable certificate and key: ${(error as Error).message}`,
    );
  }
  return { certFile, keyFile };
}

export interface UploadMemoryLimits {
  /** For the whole process. */
  total: number;
  /** For one API key. */
  perKey: number;
}

export interface BodyPace {
  /** The window a body is judged over. */
  timeoutMs: number;
  /** What it must bring per second over a window (at least one byte per window). */
  minBytesPerSec: number;
}

/** SNAPFERRY_UPLOAD_MEMORY and SNAPFERRY_UPLOAD_MEMORY_PER_KEY (default a quarter of it, never more than it). */
const uploadMemory = (total: number, perKey: number | null): UploadMemoryLimits => ({
  total,
  perKey: Math.min(perKey ?? Math.ceil(total / 4), total),
});

/**
 * `<key>=<accountId>:<role>` or `sha256:<64 hex>=<accountId>:<role>` (the key's SHA-256, so that
 * the configuration need not hold usable keys), comma-separated.
 */
export function parseApiKeys(value: string): ApiKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const at = entry.indexOf('=');
      const key = entry.slice(0, at);
      const [accountId = '', role = '', ...extra] = entry.slice(at + 1).split(':');
      if (
        at < 0 ||
        !apiKeyPattern.test(key) ||
        !accountIdPattern.test(accountId) ||
        !(roles as readonly string[]).includes(role) ||
        extra.length > 0
      )
        throw new ConfigError(
          `SNAPFERRY_API_KEYS entry ${i + 1} must be <key>=<accountId>:<role> or sha256:<hex>=<accountId>:<role> with a key of at least 8 characters and role user or operator (the key itself is not shown)`,
        );
      const hashed = hashedKeyPattern.exec(key);
      if (!hashed && /^sha256:/i.test(key))
        throw new ConfigError(
          `SNAPFERRY_API_KEYS entry ${i + 1}: after sha256: comes the key's SHA-256 as 64 hex digits (snapferry admin hash-key prints it)`,
        );
      return {
        sha256: hashed ? hashed[1]!.toLowerCase() : apiKeySha256(key),
        accountId,
        role: role as Role,
        keyId: `key-${i + 1}`,
      };
    });
}

/**
 * `<SecretId>:<SecretKey>=<accountId>:<role>`, comma-separated. The SecretKey may hold `:` and
 * `=` (the last `=` ends it); a mistake names the entry, never its secret.
 */
export function parseCloudKeys(value: string): CloudKey[] {
  const seen = new Set<string>();
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const match =
        /^([A-Za-z0-9_-]{1,128}):(\S{8,256})=([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(user|operator)$/.exec(
          entry,
        );
      if (!match)
        throw new ConfigError(
          `SNAPFERRY_CLOUD_KEYS entry ${i + 1} must be <SecretId>:<SecretKey>=<accountId>:<role> with a SecretId of letters, digits, _ or -, a SecretKey of at least 8 characters and role user or operator (the entry itself is not shown)`,
        );
      if (seen.has(match[1]!))
        throw new ConfigError(
          `SNAPFERRY_CLOUD_KEYS entry ${i + 1} repeats the SecretId of an earlier entry`,
        );
      seen.add(match[1]!);
      return {
        secretId: match[1]!,
        secretKey: match[2]!,
        accountId: match[3]!,
        role: match[4] as Role,
      };
    });
}

export function loadRegionCatalog(file: string | undefined): RegionCatalog {
  if (!file) return defaultRegionCatalog;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `SNAPFERRY_REGIONS_FILE ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `SNAPFERRY_REGIONS_FILE ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  try {
    return parseRegionCatalog(json);
  } catch (error) {
    throw new ConfigError(`SNAPFERRY_REGIONS_FILE ${file}: ${(error as Error).message}`);
  }
}

/**
 * The secret the regions sign their store calls with. Regions reached over the network
 * (a `storeUrl`) make it required: a store open to anyone who can reach it is not an option.
 */
function checkRegionSecret(secret: string, regions: RegionCatalog): string | null {
  const remote = regions.regions.filter((r) => r.storeUrl).map((r) => r.id);
  if (secret === '') {
    if (remote.length > 0)
      throw new ConfigError(
        `SNAPFERRY_REGION_SECRET is required: the regions file gives ${remote.join(', ')} a storeUrl, and every store call between services is signed with it (set the same secret, at least 16 characters, in every service)`,
      );
    return null;
  }
  if (secret.length < 16)
    throw new ConfigError(
      'SNAPFERRY_REGION_SECRET must be at least 16 characters (its value is not shown)',
    );
  return secret;
}

/**
 * Reads the environment once at start (the variables are declared in config-schema.ts);
 * every variable here has a default that works on a developer machine. The catalog's keys,
 * which have none, come from loadAccessKeys.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SnapferryConfig {
  const read = readServiceEnv(env);
  const regions = loadRegionCatalog(read.SNAPFERRY_REGIONS_FILE ?? undefined);
  const known = new Set(regions.regions.map((r) => r.id));
  for (const region of read.REPLICATOR_REGIONS)
    if (!known.has(region))
      throw new ConfigError(
        `REPLICATOR_REGIONS names ${region}, which is not in the region catalog`,
      );
  return {
    databaseUrl: read.DATABASE_URL,
    replicatorDatabaseUrl: read.REPLICATOR_DATABASE_URL,
    amqpUrl: read.AMQP_URL,
    port: read.PORT,
    replicatorMetricsPort: read.REPLICATOR_PORT,
    dataDir: read.SNAPFERRY_DATA_DIR,
    regions,
    regionSecret: checkRegionSecret(read.SNAPFERRY_REGION_SECRET, regions),
    regionRetryMs: read.SNAPFERRY_REGION_RETRY_MS,
    objectStoreTimeoutMs: read.SNAPFERRY_S3_TIMEOUT_MS,
    objectStoreEnv: Object.fromEntries(
      Object.entries(env).filter(([name]) => name.startsWith('SNAPFERRY_S3_')),
    ),
    replicatorRegions:
      read.REPLICATOR_REGIONS.length > 0
        ? read.REPLICATOR_REGIONS
        : regions.regions.map((r) => r.id),
    maxBytesPerSec: read.REPLICATOR_MAX_BYTES_PER_SEC,
    maxConcurrentCopies: read.REPLICATOR_MAX_CONCURRENT_COPIES,
    claimLeaseMs: read.REPLICATOR_CLAIM_LEASE_MS,
    chunkSize: read.SNAPFERRY_CHUNK_SIZE,
    deliveryLimit: read.SNAPFERRY_DELIVERY_LIMIT,
    gcGraceMs: read.SNAPFERRY_GC_GRACE_MS,
    gcIntervalMs: read.SNAPFERRY_GC_INTERVAL_MS,
    gcPeriodMs: read.SNAPFERRY_GC_PERIOD_MS,
    policyPassIntervalMs: read.SNAPFERRY_POLICY_RETENTION_INTERVAL_MS,
    maxEventStreamsPerKey: read.SNAPFERRY_MAX_EVENT_STREAMS,
    rateLimit: read.SNAPFERRY_RATE_LIMIT,
    uploadMemory: uploadMemory(read.SNAPFERRY_UPLOAD_MEMORY, read.SNAPFERRY_UPLOAD_MEMORY_PER_KEY),
    bodyPace: {
      timeoutMs: read.SNAPFERRY_BODY_TIMEOUT_MS,
      minBytesPerSec: read.SNAPFERRY_BODY_MIN_BYTES_PER_SEC,
    },
    tls: checkTls(read.SNAPFERRY_TLS_CERT, read.SNAPFERRY_TLS_KEY),
    logLevel: read.LOG_LEVEL,
  };
}
