import type { ErrorCode } from '../shared/event';
import type { RegionCatalog } from '../regions/region-catalog';
import { findRegion, isGeoRestricted } from '../regions/region-catalog';

/** What one destination is judged against: the source, the catalog, copies in flight, quota use. */
export interface DestinationContext {
  sourceSnapshotId: string;
  sourceRegion: string;
  regions: RegionCatalog;
  /** True where a copy of this source to the region is still in flight. */
  copyInFlightTo: (region: string) => boolean;
  /** Snapshots the account holds in a region now, copies in flight included. */
  snapshotsInRegion: (region: string) => number;
}

export type DestinationRefusal = readonly [ErrorCode, string];

/**
 * The per-destination rules of a cross-region copy, in the order the API applies them:
 * unknown region, the source's own region, finance zones, geography, a copy already in
 * flight, quota. `undefined` means the destination is accepted. The decider and the web
 * console's region picker both use it, so the picker disables exactly what the API refuses.
 */
export function judgeDestination(
  regionId: string,
  context: DestinationContext,
): DestinationRefusal | undefined {
  const { sourceSnapshotId, regions } = context;
  const destination = findRegion(regions, regionId);
  if (!destination)
    return ['InvalidParameterValue.Region', `region ${regionId} is unknown or not supported`];
  if (regionId === context.sourceRegion)
    return [
      'InvalidParameterValue.Region',
      `region ${regionId} is the source snapshot's own region`,
    ];
  const sourceRegion = findRegion(regions, context.sourceRegion);
  const sourceFinance = sourceRegion?.finance ?? false;
  if (sourceFinance !== destination.finance)
    return [
      'UnsupportedOperation.FinanceZoneRestricted',
      sourceFinance
        ? `a finance-zone snapshot can be copied only to finance zones; ${regionId} is not one`
        : `only finance-zone snapshots can be copied into the finance zone ${regionId}`,
    ];
  if (sourceRegion && isGeoRestricted(regions, sourceRegion, destination))
    return [
      'UnsupportedOperation.GeoRestricted',
      `copies from ${sourceRegion.geography} to ${destination.geography} (${regionId}) are not allowed`,
    ];
  if (context.copyInFlightTo(regionId))
    return [
      'UnsupportedOperation.SnapshotCopying',
      `a copy of ${sourceSnapshotId} to ${regionId} is already in flight`,
    ];
  if (context.snapshotsInRegion(regionId) >= destination.snapshotQuota)
    return [
      'LimitExceeded.SnapshotQuota',
      `the snapshot quota in ${regionId} (${destination.snapshotQuota}) is used up`,
    ];
  return undefined;
}
