import { FilesystemRegionStore } from './filesystem-region-store';
import type { RegionStore } from './region-store';

/** One snapshot store per region under a data directory (the filesystem backend), made once each. */
export class RegionStores {
  private readonly stores = new Map<string, RegionStore>();

  constructor(private readonly dataDir: string) {}

  get(region: string): RegionStore {
    let store = this.stores.get(region);
    if (!store) {
      store = new FilesystemRegionStore(this.dataDir, region);
      this.stores.set(region, store);
    }
    return store;
  }
}
