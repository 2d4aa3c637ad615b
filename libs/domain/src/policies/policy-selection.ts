import { matchesTags } from '../snapshots/tags';
import type { PolicyDefinition, PolicyTag } from './policy-definition';

/** What a policy looks at to select a snapshot. */
export interface SelectableSnapshot {
  region: string;
  diskId: string;
  copyOf?: unknown;
  tags?: readonly PolicyTag[];
}

/**
 * A snapshot is selected when it is in the policy's source region, is not a copy, and is on
 * one of `diskIds` or carries every listed tag.
 */
export function selects(
  policy: Pick<PolicyDefinition, 'sourceRegion' | 'selector'>,
  snapshot: SelectableSnapshot,
): boolean {
  if (snapshot.region !== policy.sourceRegion || snapshot.copyOf) return false;
  const { diskIds, tags } = policy.selector;
  if (diskIds?.includes(snapshot.diskId)) return true;
  if (!tags || tags.length === 0) return false;
  return matchesTags(snapshot.tags ?? [], tags);
}
