import { judgeDestination, type ErrorCode } from '@snapferry/domain';
import type { RegionsAnswer, Snapshot } from '../api/types';
import { codeInWords } from '../format';

export interface RegionChoice {
  id: string;
  name: string;
  finance: boolean;
  snapshotsUsed: number;
  snapshotQuota: number;
  /** Why the catalog would refuse a copy there; a refused region cannot be chosen. */
  refusal?: { code: ErrorCode; label: string; message: string };
}

/**
 * The dialog's region list: every region of the catalog with this account's quota use, and
 * for each the API's own per-destination rule (`judgeDestination`) applied to this source,
 * so the picker disables exactly the regions a copy request would be refused for.
 */
export function regionChoices(
  answer: RegionsAnswer,
  source: Pick<Snapshot, 'snapshotId' | 'region' | 'copyingToRegions'>,
): RegionChoice[] {
  const used = new Map(answer.regions.map((r) => [r.id, r.snapshotsUsed]));
  const inFlight = new Set(source.copyingToRegions.map((c) => c.region));
  const context = {
    sourceSnapshotId: source.snapshotId,
    sourceRegion: source.region,
    regions: { regions: answer.regions, geoRestrictions: answer.geoRestrictions },
    copyInFlightTo: (region: string) => inFlight.has(region),
    snapshotsInRegion: (region: string) => used.get(region) ?? 0,
  };
  return answer.regions.map((region) => {
    const refused = judgeDestination(region.id, context);
    // Regions come from the catalog, so `InvalidParameterValue.Region` here is the source's own.
    const label =
      refused &&
      (refused[0] === 'InvalidParameterValue.Region' ? 'Source region' : codeInWords(refused[0]));
    return {
      id: region.id,
      name: region.name,
      finance: region.finance,
      snapshotsUsed: region.snapshotsUsed,
      snapshotQuota: region.snapshotQuota,
      ...(refused && label ? { refusal: { code: refused[0], label, message: refused[1] } } : {}),
    };
  });
}

/** The destinations that may be asked for, in catalog order (a refused one is never sent). */
export const allowedSelection = (choices: RegionChoice[], selected: ReadonlySet<string>) =>
  choices.filter((c) => !c.refusal && selected.has(c.id)).map((c) => c.id);
