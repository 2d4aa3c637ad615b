import type { RegionCatalog } from '@snapferry/domain';
import { FilesystemRegionStore } from './filesystem-region-store';
import { HttpRegionStore } from './http/http-region-store';
import type { LocalRegionStore, RegionStore } from './region-store';

export interface RegionStoresOptions {
  /** SNAPFERRY_DATA_DIR: where the stores of this host's regions live. */
  dataDir: string;
  /** The region catalog: a region with a `storeUrl` is reached only over HTTP. */
  regions?: RegionCatalog;
  /** SNAPFERRY_REGION_SECRET, to sign calls to other regions' stores. */
  secret?: string | null;
  /** The regions this process serves itself (a replicator's): always its own filesystem. */
  local?: readonly string[];
  /** How long a call to another region keeps retrying while it does not answer. */
  retryForMs?: number;
}

/**
 * One store per region, made once each: the regions this process serves, and every region
 * without a `storeUrl` (one host, the embedded default), on the local filesystem; every other
 * region through its store service over the network.
 */
export class RegionStores {
  private readonly stores = new Map<string, RegionStore>();
  private readonly local: Set<string>;

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
    },
    local?: readonly string[],
  ): RegionStores {
    return new RegionStores({
      dataDir: config.dataDir,
      regions: config.regions,
      secret: config.regionSecret,
      retryForMs: config.regionRetryMs,
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

  /** A region this process keeps on its own disk (throws for one it reaches over the network). */
  localStore(region: string): LocalRegionStore {
    const store = this.get(region);
    if (!(store instanceof FilesystemRegionStore))
      throw new Error(`region ${region}'s store is not on this host`);
    return store;
  }

  private make(region: string): RegionStore {
    const storeUrl = this.options.regions?.regions.find((r) => r.id === region)?.storeUrl;
    if (!storeUrl || this.local.has(region))
      return new FilesystemRegionStore(this.options.dataDir, region);
    if (!this.options.secret)
      throw new Error(`region ${region} has a storeUrl but no SNAPFERRY_REGION_SECRET is set`);
    return new HttpRegionStore(region, {
      baseUrl: storeUrl,
      secret: this.options.secret,
      ...(this.options.retryForMs !== undefined ? { retryForMs: this.options.retryForMs } : {}),
    });
  }
}
