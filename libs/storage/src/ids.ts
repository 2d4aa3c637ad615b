import { InvalidIdError } from './errors';

// Ids become file names: anything else is refused before it reaches a path.
const snapshotIdPattern = /^snap-[a-z0-9]{8}$/;
const digestPattern = /^[0-9a-f]{64}$/;
const regionIdPattern = /^[a-z0-9-]{2,40}$/;

export const isSnapshotId = (value: unknown): value is string =>
  typeof value === 'string' && snapshotIdPattern.test(value);
export const isDigest = (value: unknown): value is string =>
  typeof value === 'string' && digestPattern.test(value);
export const isRegionId = (value: unknown): value is string =>
  typeof value === 'string' && regionIdPattern.test(value);

export function assertSnapshotId(value: unknown): asserts value is string {
  if (!isSnapshotId(value)) throw new InvalidIdError('snapshot id', value);
}
export function assertDigest(value: unknown): asserts value is string {
  if (!isDigest(value)) throw new InvalidIdError('digest', value);
}
export function assertRegionId(value: unknown): asserts value is string {
  if (!isRegionId(value)) throw new InvalidIdError('region id', value);
}
