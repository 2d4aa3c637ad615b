/** The region catalog: which regions exist, which are finance zones, and which geographies may copy to which. */
export interface Region {
  id: string;
  name: string;
  geography: string;
  finance: boolean;
  snapshotQuota: number;
  /**
   * Where the region's store answers (its replicator's store service, `http(s)://host:port`).
   * Without it the region's store is the local filesystem: every service on one host.
   */
  storeUrl?: string;
  /**
   * The S3-compatible bucket that holds the region's chunks and manifests (AWS S3, COS, Ceph
   * RGW, MinIO). Credentials are never here: the AWS SDK's chain, or per-region variables.
   */
  objectStore?: ObjectStoreConfig;
  /**
   * Bytes per chunk of the snapshots uploaded into this region (`SNAPFERRY_CHUNK_SIZE` unless
   * set): smaller chunks make a changed-block snapshot rebuild less around each write, larger
   * ones mean fewer objects. A copy keeps its source's chunks, whatever the target's setting.
   */
  chunkSize?: number;
}

/** The chunk sizes a region or an upload may use: 64 KiB to 64 MiB. */
export const minChunkSize = 64 * 1024;
export const maxChunkSize = 64 * 1024 * 1024;

/** The chunk size uploads into `regionId` are stored in: the region's own, else `defaultSize`. */
export const regionChunkSize = (
  catalog: RegionCatalog,
  regionId: string,
  defaultSize: number,
): number => catalog.regions.find((r) => r.id === regionId)?.chunkSize ?? defaultSize;

/** Where a bucket-backed region keeps its data; every field filled in by the parser. */
export interface ObjectStoreConfig {
  /** `https://s3.eu-central-1.amazonaws.com`, `http://10.0.0.5:7480`: no credentials, no query. */
  endpoint: string;
  bucket: string;
  /** The start of every key: '' or ending with '/' (`snapferry/ap-guangzhou/`). */
  prefix: string;
  /** The region requests are signed for (SigV4); default `us-east-1`, which Ceph RGW expects. */
  region: string;
  /** `endpoint/bucket/key` URLs instead of `bucket.endpoint/key`: RGW and MinIO usually need it. */
  forcePathStyle: boolean;
}

/** What clients may see of a region: where and how its data is stored stays the deployment's. */
export type PublicRegion = Omit<Region, 'storeUrl' | 'objectStore' | 'chunkSize'>;

export const publicRegion = ({
  id,
  name,
  geography,
  finance,
  snapshotQuota,
}: Region): PublicRegion => ({
  id,
  name,
  geography,
  finance,
  snapshotQuota,
});

export interface GeoRestriction {
  from: string;
  to: string;
}

export interface RegionCatalog {
  regions: Region[];
  geoRestrictions: GeoRestriction[];
  /** How many destinations one replication policy may have (`defaultMaxPolicyDestinations` unless told). */
  maxPolicyDestinations?: number;
}

/** As many destinations as the public clouds' lifecycle policies copy to. */
export const defaultMaxPolicyDestinations = 3;

export const maxPolicyDestinationsOf = (catalog: RegionCatalog): number =>
  catalog.maxPolicyDestinations ?? defaultMaxPolicyDestinations;

const region = (id: string, name: string, geography: string, finance = false): Region => ({
  id,
  name,
  geography,
  finance,
  snapshotQuota: 500,
});

/** The public cloud's region ids, built in; `SNAPFERRY_REGIONS_FILE` replaces it. */
export const defaultRegionCatalog: RegionCatalog = {
  regions: [
    region('ap-guangzhou', 'South China (Guangzhou)', 'mainland-china'),
    region('ap-shanghai', 'East China (Shanghai)', 'mainland-china'),
    region('ap-nanjing', 'East China (Nanjing)', 'mainland-china'),
    region('ap-beijing', 'North China (Beijing)', 'mainland-china'),
    region('ap-chengdu', 'Southwest China (Chengdu)', 'mainland-china'),
    region('ap-chongqing', 'Southwest China (Chongqing)', 'mainland-china'),
    region('ap-shanghai-fsi', 'East China (Shanghai Finance)', 'mainland-china', true),
    region('ap-shenzhen-fsi', 'South China (Shenzhen Finance)', 'mainland-china', true),
    region('ap-beijing-fsi', 'North China (Beijing Finance)', 'mainland-china', true),
    region('ap-hongkong', 'Hong Kong, Macau and Taiwan (China)', 'asia-pacific'),
    region('ap-singapore', 'Southeast Asia (Singapore)', 'asia-pacific'),
    region('ap-bangkok', 'Southeast Asia (Bangkok)', 'asia-pacific'),
    region('ap-jakarta', 'Southeast Asia (Jakarta)', 'asia-pacific'),
    region('ap-seoul', 'Northeast Asia (Seoul)', 'asia-pacific'),
    region('ap-tokyo', 'Northeast Asia (Tokyo)', 'asia-pacific'),
    region('ap-mumbai', 'South Asia (Mumbai)', 'asia-pacific'),
    region('na-siliconvalley', 'Western US (Silicon Valley)', 'north-america'),
    region('na-ashburn', 'Eastern US (Virginia)', 'north-america'),
    region('na-toronto', 'North America (Toronto)', 'north-america'),
    region('sa-saopaulo', 'South America (São Paulo)', 'south-america'),
    region('eu-frankfurt', 'Europe (Frankfurt)', 'europe'),
  ],
  geoRestrictions: [
    { from: 'mainland-china', to: 'north-america' },
    { from: 'mainland-china', to: 'europe' },
    { from: 'mainland-china', to: 'south-america' },
  ],
};

export const findRegion = (catalog: RegionCatalog, id: string): Region | undefined =>
  catalog.regions.find((r) => r.id === id);

export const isGeoRestricted = (catalog: RegionCatalog, from: Region, to: Region): boolean =>
  catalog.geoRestrictions.some((g) => g.from === from.geography && g.to === to.geography);
