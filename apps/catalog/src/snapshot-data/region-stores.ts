import { FilesystemRegionStore, type RegionStore } from '@snapferry/storage';

/** One snapshot store per region under SNAPFERRY_DATA_DIR (the filesystem backend of the storage port). */
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
