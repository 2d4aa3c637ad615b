import { isRegionId } from '../shared/ids';
import { parseObjectStore, sharedObjectStore } from './parse-object-store';
import { maxChunkSize, minChunkSize, type Region, type RegionCatalog } from './region-catalog';
import { isObject, isServiceUrl, RegionCatalogError } from './region-catalog-error';

export { RegionCatalogError } from './region-catalog-error';

/** Validates the parsed JSON of a regions file and returns the catalog, or throws saying where. */
export function parseRegionCatalog(input: unknown): RegionCatalog {
  if (!isObject(input)) throw new RegionCatalogError('$', 'must be an object with "regions"');
  const { regions, geoRestrictions = [], maxPolicyDestinations } = input;
  if (!Array.isArray(regions) || regions.length === 0)
    throw new RegionCatalogError('regions', 'must be a non-empty array');
  const seen = new Set<string>();
  const parsed = regions.map((r: unknown, i) => {
    const at = `regions[${i}]`;
    if (!isObject(r)) throw new RegionCatalogError(at, 'must be an object');
    const { id, name, geography, finance, snapshotQuota, storeUrl, objectStore, chunkSize } = r;
    if (!isRegionId(id))
      throw new RegionCatalogError(`${at}.id`, 'must be a region id such as "ap-guangzhou"');
    if (seen.has(id)) throw new RegionCatalogError(`${at}.id`, `"${id}" appears twice`);
    seen.add(id);
    if (typeof name !== 'string' || name.trim() === '')
      throw new RegionCatalogError(`${at}.name`, 'must be a non-empty string');
    if (typeof geography !== 'string' || geography.trim() === '')
      throw new RegionCatalogError(`${at}.geography`, 'must be a non-empty string');
    if (typeof finance !== 'boolean')
      throw new RegionCatalogError(`${at}.finance`, 'must be true or false');
    if (typeof snapshotQuota !== 'number' || !Number.isInteger(snapshotQuota) || snapshotQuota < 0)
      throw new RegionCatalogError(`${at}.snapshotQuota`, 'must be a non-negative integer');
    if (storeUrl !== undefined && !isServiceUrl(storeUrl))
      throw new RegionCatalogError(
        `${at}.storeUrl`,
        'must be an http:// or https:// URL such as "http://10.0.0.2:3001" (no query, no credentials)',
      );
    if (
      chunkSize !== undefined &&
      (typeof chunkSize !== 'number' ||
        !Number.isInteger(chunkSize) ||
        chunkSize < minChunkSize ||
        chunkSize > maxChunkSize ||
        chunkSize % 4096 !== 0)
    )
      throw new RegionCatalogError(
        `${at}.chunkSize`,
        `must be a whole number of 4 KiB blocks from ${minChunkSize} to ${maxChunkSize} bytes (524288 is 512 KiB)`,
      );
    const region: Region = { id, name, geography, finance, snapshotQuota };
    if (chunkSize !== undefined) region.chunkSize = chunkSize;
    if (storeUrl !== undefined) region.storeUrl = storeUrl.replace(/\/+$/, '');
    if (objectStore !== undefined)
      region.objectStore = parseObjectStore(objectStore, `${at}.objectStore`);
    return region;
  });
  const shared = sharedObjectStore(parsed);
  if (shared)
    throw new RegionCatalogError(
      `regions[${shared.index}].objectStore`,
      `its bucket and prefix overlap those of ${shared.other} (same endpoint and bucket, one prefix starts the other): each region needs keys of its own, or one region's garbage collection deletes the other's chunks`,
    );
  if (!Array.isArray(geoRestrictions))
    throw new RegionCatalogError('geoRestrictions', 'must be an array of {from, to}');
  const geographies = new Set(parsed.map((r) => r.geography));
  const restrictions = geoRestrictions.map((g: unknown, i) => {
    const at = `geoRestrictions[${i}]`;
    if (!isObject(g)) throw new RegionCatalogError(at, 'must be an object {from, to}');
    for (const key of ['from', 'to'] as const) {
      const value = g[key];
      if (typeof value !== 'string' || !geographies.has(value))
        throw new RegionCatalogError(
          `${at}.${key}`,
          `must name a geography used by a region (${[...geographies].join(', ')})`,
        );
    }
    return { from: g['from'] as string, to: g['to'] as string };
  });
  if (
    maxPolicyDestinations !== undefined &&
    (typeof maxPolicyDestinations !== 'number' ||
      !Number.isInteger(maxPolicyDestinations) ||
      maxPolicyDestinations < 1 ||
      maxPolicyDestinations > parsed.length)
  )
    throw new RegionCatalogError(
      'maxPolicyDestinations',
      `must be an integer from 1 to the number of regions (${parsed.length})`,
    );
  return {
    regions: parsed,
    geoRestrictions: restrictions,
    ...(maxPolicyDestinations !== undefined ? { maxPolicyDestinations } : {}),
  };
}
