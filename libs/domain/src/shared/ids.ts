/** Ids look like the cloud's: a prefix and 8 lower-case letters or digits. */
export const snapshotIdPattern = /^snap-[a-z0-9]{8}$/;
export const diskIdPattern = /^disk-[a-z0-9]{8}$/;
export const replicationIdPattern = /^repl-[a-z0-9]{8}$/;
export const policyIdPattern = /^pol-[a-z0-9]{8}$/;

/** A SHA-256 in lower-case hex: chunk digests, image digests and manifest roots. */
export const digestPattern = /^[0-9a-f]{64}$/;

export const isSnapshotId = (value: unknown): value is string =>
  typeof value === 'string' && snapshotIdPattern.test(value);

/** Account ids, as SNAPFERRY_API_KEYS names them: a letter or digit, then up to 63 of `A-Za-z0-9_.-`. */
export const accountIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const isAccountId = (value: unknown): value is string =>
  typeof value === 'string' && accountIdPattern.test(value);

/**
 * Region ids look like the cloud's (`ap-guangzhou`, `ap-shenzhen-fsi`): a two-letter area, then
 * lower-case words joined by `-`, at most 40 characters. Region ids become schema and directory
 * names, so this is also what makes them safe there.
 */
export const regionIdPattern = /^[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*$/;
export const maxRegionIdLength = 40;

export const isRegionId = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= maxRegionIdLength && regionIdPattern.test(value);

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Builds an id from a source of random bytes (injected: the domain never reaches for a RNG). */
export function makeId(
  prefix: 'snap' | 'repl' | 'disk' | 'pol',
  randomBytes: (n: number) => Uint8Array,
): string {
  const bytes = randomBytes(8);
  let suffix = '';
  for (const byte of bytes) suffix += alphabet[byte % alphabet.length];
  return `${prefix}-${suffix}`;
}

/** The one place each kind of stream id is built. */
export const streamIds = {
  snapshot: (snapshotId: string) => `snapshot-${snapshotId}`,
  replication: (replicationId: string) => `replication-${replicationId}`,
  account: (accountId: string) => `account-${accountId}`,
  policy: (policyId: string) => `policy-${policyId}`,
  /** One recovery point objective's breaches and restorations: a policy's disk in one destination. */
  recoveryPoint: (policyId: string, diskId: string, region: string) =>
    `recoverypoint-${policyId}-${diskId}-${region}`,
};
