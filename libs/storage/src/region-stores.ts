import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool } from 'pg';
import type { RegionCatalog } from '@snapferry/domain';
import { FilesystemRegionStore } from './filesystem/filesystem-region-store';
import { HttpRegionStore } from './http/http-region-store';
import { checkBucket } from './object-store/check-bucket';
import { ChunkIndex } from './object-store/chunk-index';
import { ObjectStoreRegionStore } from './object-store/object-store-region-store';
import { type BucketRegion, createS3Client } from './object-store/s3-client';
import type { ChunkWriter, RegionStore } from './region-store';

export interface RegionStoresOptions {
  /** SNAPFERRY_DATA_DIR: where the stores of this host's regions live. */
  dataDir: string;
  /** The region catalog: a region with a `storeUrl` is reached only over HTTP. */
  regions?: RegionCatalog;
  /** SNAPFERRY_REGION_SECRET, to sign calls to other regions' stores. */
  secret?: string | null;
  /** The regions this process serves itself (a replicator's): always reached directly. */
  local?: readonly string[];
  /** How long a call to another region (or a bucket) keeps retrying while it does not answer. */
  retryForMs?: number;
  /**
   * The regions' database (REPLICATOR_DATABASE_URL), where a bucket-backed region keeps its
   * chunk index (schema `store_<region>`): needed only by processes that reach a bucket directly.
   */
  indexDatabaseUrl?: string;
  /** Where bucket credentials come from (SNAPFERRY_S3_*_<REGION>, AWS_*). */
  env?: NodeJS.ProcessEnv;
  /** How long one try of an S3 call may stay silent (SNAPFERRY_S3_TIMEOUT_MS; default 30 s). */
  objectStoreTimeoutMs?: number;
}

/** What the store service needs of a region it serves: the port, and writes of hashed bytes. */
export type ServedRegionStore = RegionStore & {
  putVerifiedChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean>;
};

/**
 * One store per region, made once each. A region this process serves, or any region without
 * a `storeUrl` (one host, the embedded default), is reached directly: its bucket when it has an
 * `objectStore`, else the local filesystem; every other region through its store service over
 * the network (so a region's bucket credentials need not leave the region).
 */
export class RegionStores {
  private readonly stores = new Map<string, RegionStore>();
  private readonly local: Set<string>;
  private readonly clients = new Map<string, Promise<S3Client>>();
  private pool: Pool | undefined;
  private closed = false;

  constructor(private readonly options: RegionStoresOptions) {
    this.local = new Set(options.local ?? []);
  }

  /** The stores a service's configuration describes; `local`: the regions it serves itself. */
  static fromConfig(
    config: {
      dataDir: string;
      regions: RegionCatalog;
      regionSecret: string | null;
      regionRetryMs: number;
      replicatorDatabaseUrl?: string;
      objectStoreEnv?: NodeJS.ProcessEnv;
      objectStoreTimeoutMs?: number;
    },
    local?: readonly string[],
  ): RegionStores {
    return new RegionStores({
      dataDir: config.dataDir,
      regions: config.regions,
      secret: config.regionSecret,
      retryForMs: config.regionRetryMs,
      ...(config.replicatorDatabaseUrl ? { indexDatabaseUrl: config.replicatorDatabaseUrl } : {}),
      env: { ...process.env, ...config.objectStoreEnv },
      ...(config.objectStoreTimeoutMs !== undefined
        ? { objectStoreTimeoutMs: config.objectStoreTimeoutMs }
        : {}),
      ...(local ? { local } : {}),
    });
  }

  get(region: string): RegionStore {
    let store = this.stores.get(region);
    if (!store) {
      store = this.make(region);
      this.stores.set(region, store);
    }
    return store;
  }

  /** A region this process reaches directly (throws for one it reaches over the network). */
  localStore(region: string): ServedRegionStore {
    const store = this.get(region);
    if (store instanceof HttpRegionStore)
      throw new Error(`region ${region}'s store is not reached directly from here`);
    return store as ServedRegionStore;
  }

  /** The bucket-backed regions this process reaches directly. */
  directBuckets(): BucketRegion[] {
    return (this.options.regions?.regions ?? []).flatMap((r) =>
      r.objectStore && this.reachesDirectly(r.id) ? [{ id: r.id, objectStore: r.objectStore }] : [],
    );
  }

  /**
   * The start-up check: every bucket this process reaches directly can be listed, written and
   * deleted from, and its chunk index exists. Throws ObjectStoreUnusableError (naming the
   * region, endpoint, bucket and S3 error code) for the first that cannot: the service must not
   * start.
   */
  async checkObjectStores(signal?: AbortSignal): Promise<void> {
    for (const bucket of this.directBuckets()) {
      await checkBucket(await this.client(bucket), bucket, signal ? { abortSignal: signal } : {});
      await new ChunkIndex(this.indexPool(), bucket.id).migrate();
    }
  }

  /** Closes the chunk index's connections and the buckets' clients. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const client of clients) (await client.catch(() => undefined))?.destroy();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** Nest calls this on the provider when the application stops. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private reachesDirectly(region: string): boolean {
    const storeUrl = this.options.regions?.regions.find((r) => r.id === region)?.storeUrl;
    return !storeUrl || this.local.has(region);
  }

  private make(region: string): RegionStore {
    const entry = this.options.regions?.regions.find((r) => r.id === region);
    if (this.reachesDirectly(region)) {
      if (!entry?.objectStore) return new FilesystemRegionStore(this.options.dataDir, region);
      const bucket: BucketRegion = { id: region, objectStore: entry.objectStore };
      return new ObjectStoreRegionStore(
        region,
        bucket,
        () => this.client(bucket),
        new ChunkIndex(this.indexPool(), region),
        this.options.retryForMs !== undefined ? { retryForMs: this.options.retryForMs } : {},
      );
    }
    if (!this.options.secret)
      throw new Error(`region ${region} has a storeUrl but no SNAPFERRY_REGION_SECRET is set`);
    return new HttpRegionStore(region, {
      baseUrl: entry!.storeUrl!,
      secret: this.options.secret,
      ...(this.options.retryForMs !== undefined ? { retryForMs: this.options.retryForMs } : {}),
    });
  }

  private client(bucket: BucketRegion): Promise<S3Client> {
    let client = this.clients.get(bucket.id);
    if (!client) {
      const timeoutMs = this.options.objectStoreTimeoutMs;
      client = createS3Client(
        bucket,
        this.options.env ?? process.env,
        timeoutMs !== undefined
          ? { socketTimeoutMs: timeoutMs, connectionTimeoutMs: Math.min(5_000, timeoutMs) }
          : {},
      );
      client.catch(() => this.clients.delete(bucket.id));
      this.clients.set(bucket.id, client);
    }
    return client;
  }

  private indexPool(): Pool {
    // A call that outlives close() (a sweep still finishing) must not open a new pool that
    // nothing would ever end.
    if (this.closed) throw new Error('the region stores are closed (the service is stopping)');
    if (!this.pool) {
      const url = this.options.indexDatabaseUrl;
      if (!url)
        throw new Error(
          'a region with an objectStore is reached directly, but no database for its chunk index is configured (REPLICATOR_DATABASE_URL)',
        );
      // Loaded on first use: the CLI imports this library and never needs a database.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Pool } = require('pg') as typeof import('pg');
      this.pool = new Pool({ connectionString: url, max: 10 });
      // An idle connection the server closed (a restart, a terminated backend, a dropped
      // database) is dropped by the pool and replaced on next use; without a listener its
      // 'error' would end the process. A query in flight still fails with its own error.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }
}
