import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestBroker,
  createTestDatabase,
  type NetworkLab,
  type TestBroker,
  type TestDatabase,
} from '@snapferry/testing';
import { apiClient, apiKeysEnv } from './catalog-harness';
import { ServiceProcess } from './process-harness';
import { writeRegionsFile } from './regions-file';

export const regionSecret = 'test-region-secret-0001';

export interface RegionsApart {
  catalog: ServiceProcess;
  /** One replicator process per region, each with its own data directory and store service. */
  replicators: Map<string, ServiceProcess>;
  dataDirs: Map<string, string>;
  /** The catalog's own SNAPFERRY_DATA_DIR: it must stay empty (it touches no store). */
  catalogDataDir: string;
  storeUrls: Map<string, string>;
  api: ReturnType<typeof apiClient>;
  /** What every process was started with (database, broker, regions file, secret). */
  env: NodeJS.ProcessEnv;
  db: TestDatabase;
  broker: TestBroker;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `env` without the variables set to undefined (a child process would see "undefined"). */
function withoutUndefined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Files under `dir`, recursively (to show which regions a process wrote). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * The catalog and one replicator per region as separate processes, each region with its own
 * data directory and a `storeUrl` in the regions file: regions share nothing but the network.
 * With `lab`, each replicator runs in its region's network namespace (PostgreSQL and RabbitMQ
 * through the lab's forwarders), so the only path between regions is the lab's links.
 */
export async function startRegionsApart({
  regions,
  lab,
  env = {},
  replicatorEnv = () => ({}),
  catalogEnv = {},
  regionEntry = () => ({}),
}: {
  regions: string[];
  lab?: NetworkLab;
  env?: NodeJS.ProcessEnv;
  replicatorEnv?: (region: string) => NodeJS.ProcessEnv;
  /** The catalog's own additions (undefined removes a variable). */
  catalogEnv?: NodeJS.ProcessEnv;
  /** More of a region's entry in the regions file (an `objectStore`, say). */
  regionEntry?: (region: string) => Record<string, unknown>;
}): Promise<RegionsApart> {
  const db = await createTestDatabase('sf_apart');
  const broker = await createTestBroker('sf_apart');
  const root = await mkdtemp(join(tmpdir(), 'snapferry-apart-'));
  const catalogDataDir = join(root, 'catalog');
  const ports = new Map<string, number>();
  const storeUrls = new Map<string, string>();
  for (const region of regions) {
    // Inside a namespace every host has its own ports: the same one everywhere will do.
    const port = lab ? 3001 : await freePort();
    ports.set(region, port);
    storeUrls.set(region, `http://${lab ? lab.host(region).ip : '127.0.0.1'}:${port}`);
  }
  const regionsFile = await writeRegionsFile(
    root,
    Object.fromEntries(
      [...storeUrls].map(([id, storeUrl]) => [id, { storeUrl, ...regionEntry(id) }]),
    ),
  );
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    REPLICATOR_DATABASE_URL: db.url,
    AMQP_URL: broker.url,
    SNAPFERRY_API_KEYS: apiKeysEnv,
    SNAPFERRY_REGIONS_FILE: regionsFile,
    SNAPFERRY_REGION_SECRET: regionSecret,
    SNAPFERRY_CHUNK_SIZE: String(256 * 1024),
    SNAPFERRY_REGION_RETRY_MS: '60000',
    LOG_LEVEL: process.env['FAULT_LOG_LEVEL'] ?? 'info',
    ...env,
  };
  const catalog = new ServiceProcess(
    'catalog',
    withoutUndefined({ ...common, PORT: '0', SNAPFERRY_DATA_DIR: catalogDataDir, ...catalogEnv }),
  );
  const replicators = new Map<string, ServiceProcess>();
  const dataDirs = new Map<string, string>();
  const inLab = lab
    ? { DATABASE_URL: await lab.forward(db.url), AMQP_URL: await lab.forward(broker.url) }
    : {};
  for (const region of regions) {
    const dataDir = join(root, region);
    dataDirs.set(region, dataDir);
    const replicatorEnvironment: NodeJS.ProcessEnv = {
      ...common,
      ...inLab,
      ...(lab ? { REPLICATOR_DATABASE_URL: inLab.DATABASE_URL } : {}),
      REPLICATOR_REGIONS: region,
      REPLICATOR_PORT: String(ports.get(region)),
      SNAPFERRY_DATA_DIR: dataDir,
      ...replicatorEnv(region),
    };
    replicators.set(
      region,
      new ServiceProcess(
        'replicator',
        replicatorEnvironment,
        lab ? { within: lab.host(region) } : {},
      ),
    );
  }
  const stop = async () => {
    await Promise.all(
      [catalog, ...replicators.values()]
        .filter((p) => p.running)
        .map((p) => p.kill('SIGKILL').catch(() => undefined)),
    );
    await db.drop();
    await broker.cleanup();
    await rm(root, { recursive: true, force: true });
  };
  try {
    await catalog.start();
    await Promise.all([...replicators.values()].map((r) => r.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    catalog,
    replicators,
    dataDirs,
    catalogDataDir,
    storeUrls,
    api: apiClient(catalog.url),
    env: common,
    db,
    broker,
    stop,
  };
}
