import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Api, benchApiKeys, tenantAccount, tenantCount } from './api';
import { Resources } from './resources';
import { Service } from './service';

/**
 * The whole Snapferry stack as processes on a fresh database, vhost and data directory:
 * `catalogs` catalog instances and `replicators` replicator processes serving the same
 * destination regions (competing consumers).
 */

export const sourceRegion = 'bx-src';
export const destinationRegions = [
  'bx-dst1',
  'bx-dst2',
  'bx-dst3',
  'bx-dst4',
  'bx-dst5',
  'bx-dst6',
  'bx-dst7',
  'bx-dst8',
];

export interface StackOptions {
  catalogs?: number;
  replicators?: number;
  /** REPLICATOR_MAX_CONCURRENT_COPIES (per region and process). */
  maxConcurrentCopies?: number;
  cpuProfDir?: string;
  /** Which process kinds get `--cpu-prof` when `cpuProfDir` is set. */
  profile?: ('catalog' | 'replicator')[];
  extraEnv?: NodeJS.ProcessEnv;
  /** The source region's `chunkSize` in the regions file (the others keep the default). */
  sourceChunkSize?: number;
}

export interface Stack {
  databaseUrl: string;
  amqpUrl: string;
  dataDir: string;
  catalogs: Service[];
  replicators: Service[];
  apis: Api[];
  resources: Resources;
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const diskId = () =>
  `disk-${[...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('')}`;

/**
 * Writes `dir`/regions.json: the regions `ids`, in one geography, with no restriction and room
 * for any number of snapshots, each with `fields(id)` added. Returns its path.
 */
export async function writeBenchRegions(
  dir: string,
  ids: string[],
  fields: (id: string) => Record<string, unknown> = () => ({}),
): Promise<string> {
  const regionsFile = join(dir, 'regions.json');
  await writeFile(
    regionsFile,
    JSON.stringify({
      regions: ids.map((id) => ({
        id,
        name: id,
        geography: 'bench',
        finance: false,
        snapshotQuota: 1_000_000,
        ...fields(id),
      })),
      geoRestrictions: [],
    }),
  );
  return regionsFile;
}

/** What every bench service runs with: this environment, the database, vhost and regions file. */
export function benchEnv(
  databaseUrl: string,
  amqpUrl: string,
  regionsFile: string,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REPLICATOR_DATABASE_URL: databaseUrl,
    AMQP_URL: amqpUrl,
    SNAPFERRY_REGIONS_FILE: regionsFile,
    LOG_LEVEL: 'warn',
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const resources = new Resources();
  try {
    const databaseUrl = await resources.database();
    const amqpUrl = await resources.vhost();
    const dataDir = await resources.dir();
    const regionsFile = await writeBenchRegions(
      dataDir,
      [sourceRegion, ...destinationRegions],
      (id) =>
        id === sourceRegion && options.sourceChunkSize
          ? { chunkSize: options.sourceChunkSize }
          : {},
    );
    const env: NodeJS.ProcessEnv = {
      ...benchEnv(databaseUrl, amqpUrl, regionsFile),
      SNAPFERRY_DATA_DIR: dataDir,
      SNAPFERRY_API_KEYS: benchApiKeys,
      REPLICATOR_REGIONS: destinationRegions.join(','),
      REPLICATOR_MAX_CONCURRENT_COPIES: String(options.maxConcurrentCopies ?? 8),
      ...options.extraEnv,
    };
    const profiled = (kind: 'catalog' | 'replicator') =>
      options.cpuProfDir && (options.profile ?? []).includes(kind)
        ? { cpuProfDir: options.cpuProfDir }
        : {};
    const catalogs: Service[] = [];
    const replicators: Service[] = [];
    resources.onCleanup(() => Promise.all([...catalogs, ...replicators].map((s) => s.stop())));
    // One after the other: migrations and topology are declared by the first.
    for (let i = 0; i < (options.catalogs ?? 1); i += 1)
      catalogs.push(await new Service('catalog', env, profiled('catalog')).start());
    for (let i = 0; i < (options.replicators ?? 1); i += 1)
      replicators.push(await new Service('replicator', env, profiled('replicator')).start());
    const apis = catalogs.map((c) => new Api(c.url));
    await apis[0]!.enableBeta();
    for (let i = 0; i < tenantCount; i += 1) await apis[0]!.enableBeta(tenantAccount(i));
    return { databaseUrl, amqpUrl, dataDir, catalogs, replicators, apis, resources };
  } catch (error) {
    await resources.cleanup();
    throw error;
  }
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` at once. */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Registers and uploads `count` source snapshots of `bytes` random bytes each in the source region. */
export async function createSources(
  api: Api,
  count: number,
  bytes = 4096,
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  await pool(count, concurrency, async (i) => {
    const id = await api.register(sourceRegion, diskId(), 1);
    await api.upload(id, randomBytes(bytes));
    ids[i] = id;
  });
  return ids;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
