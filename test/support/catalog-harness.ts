import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestBroker, createTestDatabase } from '@snapferry/testing';
import { startCatalog, type RunningCatalog } from '../../apps/catalog/src/start-catalog';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';

export const keys = {
  operator: 'test-operator-key-0001',
  alice: 'test-alice-key-000001',
  bob: 'test-bob-key-00000001',
};
export const apiKeysEnv = `${keys.operator}=ops:operator,${keys.alice}=alice:user,${keys.bob}=bob:user`;

export interface TestCatalog {
  url: string;
  env: NodeJS.ProcessEnv;
  catalog: RunningCatalog;
  dataDir: string;
  api: ReturnType<typeof apiClient>;
  /**
   * Stops the catalog, runs `meanwhile`, and starts it again on the same database, vhost, data
   * directory and port (`catalog` is then the new one).
   */
  restart(meanwhile?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A catalog in this process on its own database, vhost and data directory (unique names),
 * listening on a free port. `stop()` removes them all. `databaseVia` gives the URL the
 * catalog reaches its database by (a fault proxy in front of it, say).
 */
export async function startTestCatalog(
  extraEnv: NodeJS.ProcessEnv = {},
  { databaseVia }: { databaseVia?: (url: string) => Promise<string> } = {},
): Promise<TestCatalog> {
  const db = await createTestDatabase('sf_e2e');
  const broker = await createTestBroker('sf_e2e');
  const dataDir = await mkdtemp(join(tmpdir(), 'snapferry-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseVia ? await databaseVia(db.url) : db.url,
    REPLICATOR_DATABASE_URL: db.url,
    AMQP_URL: broker.url,
    PORT: '0',
    SNAPFERRY_DATA_DIR: dataDir,
    SNAPFERRY_API_KEYS: apiKeysEnv,
    SNAPFERRY_CHUNK_SIZE: String(64 * 1024),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  let catalog: RunningCatalog | undefined = await startCatalog(env);
  const port = new URL(catalog.url).port;
  const test: TestCatalog = {
    url: catalog.url,
    env,
    catalog,
    dataDir,
    api: apiClient(catalog.url),
    restart: async (meanwhile) => {
      const stopping = catalog;
      catalog = undefined;
      await stopping?.stop();
      await meanwhile?.();
      catalog = test.catalog = await startCatalog({ ...env, PORT: port });
    },
    stop: async () => {
      await catalog?.stop();
      await db.drop();
      await broker.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny HTTP client for tests: `api.as(keys.alice).post('/v1/snapshots', body)`. */
export function apiClient(base: string) {
  const call = async (
    key: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (key) (init.headers as Record<string, string>)['authorization'] = `Bearer ${key}`;
    if (body instanceof Uint8Array || typeof body === 'string') {
      (init as { body?: unknown }).body = body;
      (init.headers as Record<string, string>)['content-type'] ??=
        typeof body === 'string' ? 'application/json' : 'application/octet-stream';
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await fetch(`${base}${path}`, init);
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json')
      ? await response.json()
      : Buffer.from(await response.arrayBuffer());
    return { status: response.status, body: parsed, headers: response.headers };
  };
  const as = (key?: string) => ({
    get: (path: string, headers?: Record<string, string>) =>
      call(key, 'GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      call(key, 'POST', path, body, headers),
    put: (path: string, body?: unknown, headers?: Record<string, string>) =>
      call(key, 'PUT', path, body, headers),
    patch: (path: string, body?: unknown) => call(key, 'PATCH', path, body),
    delete: (path: string) => call(key, 'DELETE', path),
  });
  return { as, call };
}

/** Registers a snapshot and uploads `bytes` so it is NORMAL; returns its id. */
export async function normalSnapshot(
  api: ReturnType<typeof apiClient>,
  key: string,
  {
    region = 'ap-guangzhou',
    diskId = 'disk-aaaa0001',
    bytes = Buffer.from('snapferry test image'),
    diskUsage = 'DATA_DISK',
  } = {},
): Promise<string> {
  const created = await api
    .as(key)
    .post('/v1/snapshots', { region, diskId, diskUsage, diskSizeGiB: 1 });
  if (created.status !== 201)
    throw new Error(`register failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.snapshotId as string;
  const stored = await api.as(key).put(`/v1/snapshots/${id}/data`, bytes);
  if (stored.status !== 200)
    throw new Error(`upload failed: ${stored.status} ${JSON.stringify(stored.body)}`);
  return id;
}

export type TestStack = TestCatalog & { replicator: RunningReplicator };

/**
 * The stack most end-to-end tests copy with: a catalog and a replicator in this process (on
 * the catalog's database, vhost and data directory), and alice in the beta.
 */
export async function startTestStack({
  catalogEnv = {},
  replicatorEnv = {},
}: { catalogEnv?: NodeJS.ProcessEnv; replicatorEnv?: NodeJS.ProcessEnv } = {}): Promise<TestStack> {
  const catalog = await startTestCatalog(catalogEnv);
  const replicator = await startReplicator({
    ...catalog.env,
    REPLICATOR_REGIONS: 'ap-shanghai,ap-singapore',
    REPLICATOR_PORT: '0',
    ...replicatorEnv,
  });
  await catalog.api.as(keys.operator).put('/v1/accounts/alice/beta');
  return {
    ...catalog,
    replicator,
    stop: async () => {
      await replicator.stop();
      await catalog.stop();
    },
  };
}
