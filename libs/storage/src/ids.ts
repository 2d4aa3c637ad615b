import { digestPattern, isAccountId, isRegionId, isSnapshotId } from '@snapferry/domain';
import { InvalidIdError } from './errors';

// Ids become file names: anything else is refused before it reaches a path. Snapshot ids,
// region ids and digests follow the domain's one definition.

export { isAccountId, isRegionId, isSnapshotId };
export const isDigest = (value: unknown): value is string =>
  typeof value === 'string' && digestPattern.test(value);

export function assertSnapshotId(value: unknown): asserts value is string {
  if (!isSnapshotId(value)) throw new InvalidIdError('snapshot id', value);
}
export function assertDigest(value: unknown): asserts value is string {
  if (!isDigest(value)) throw new InvalidIdError('digest', value);
}
export function assertRegionId(value: unknown): asserts value is string {
  if (!isRegionId(value)) throw new InvalidIdError('region id', value);
}
export function assertAccountId(value: unknown): asserts value is string {
  if (!isAccountId(value)) throw new InvalidIdError('account id', value);
}
