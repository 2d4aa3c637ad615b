/** Base class so callers can tell storage faults apart from everything else. */
export abstract class StorageError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Where a chunk was being read, so a message can say which chunk of which snapshot. */
export interface ChunkLocation {
  digest: string;
  region: string;
  snapshotId?: string;
  chunkIndex?: number;
}

function describe(location: ChunkLocation): string {
  const parts = [`chunk ${location.digest}`];
  if (location.chunkIndex !== undefined) parts.push(`(#${location.chunkIndex})`);
  if (location.snapshotId !== undefined) parts.push(`of snapshot ${location.snapshotId}`);
  parts.push(`in region ${location.region}`);
  return parts.join(' ');
}

export type IdKind = 'snapshot id' | 'digest' | 'region id' | 'account id';

export class InvalidIdError extends StorageError {
  readonly code = 'Storage.InvalidId';
  constructor(
    readonly kind: IdKind,
    readonly value: unknown,
  ) {
    super(`invalid ${kind}: ${JSON.stringify(value)}`);
  }
}

export class CorruptChunkError extends StorageError {
  readonly code = 'Storage.CorruptChunk';
  constructor(
    readonly location: ChunkLocation,
    readonly actualDigest: string,
  ) {
    super(`${describe(location)} is corrupt: its bytes hash to ${actualDigest}`);
  }
}

export class MissingChunkError extends StorageError {
  readonly code = 'Storage.MissingChunk';
  constructor(
    readonly location: ChunkLocation,
    /** Every chunk found missing, where the check saw more than one (the location's first). */
    readonly digests: readonly string[] = [location.digest],
  ) {
    super(
      `${describe(location)} is missing${digests.length > 1 ? ` (and ${digests.length - 1} more)` : ''}`,
    );
  }
}

/** Re-throws a chunk error with the snapshot it belongs to, for a useful message. */
export function withSnapshotContext(error: unknown, snapshotId: string, chunkIndex: number): Error {
  if (error instanceof CorruptChunkError) {
    return new CorruptChunkError({ ...error.location, snapshotId, chunkIndex }, error.actualDigest);
  }
  if (error instanceof MissingChunkError) {
    return new MissingChunkError({ ...error.location, snapshotId, chunkIndex });
  }
  return error instanceof Error ? error : new Error(String(error));
}

export class TooLargeError extends StorageError {
  readonly code = 'Storage.TooLarge';
  constructor(readonly maxBytes: number) {
    super(`upload exceeds the limit of ${maxBytes} bytes`);
  }
}

export class InvalidManifestError extends StorageError {
  readonly code = 'Storage.InvalidManifest';
  constructor(
    readonly snapshotId: string | undefined,
    readonly reason: string,
  ) {
    super(`invalid manifest${snapshotId ? ` for ${snapshotId}` : ''}: ${reason}`);
  }
}

export class SnapshotNotFoundError extends StorageError {
  readonly code = 'Storage.SnapshotNotFound';
  constructor(
    readonly region: string,
    readonly snapshotId: string,
  ) {
    super(`snapshot ${snapshotId} has no data in region ${region}`);
  }
}

export class SnapshotExistsError extends StorageError {
  readonly code = 'Storage.SnapshotExists';
  constructor(
    readonly region: string,
    readonly snapshotId: string,
  ) {
    super(`snapshot ${snapshotId} already has data in region ${region}`);
  }
}

export class ImageDigestMismatchError extends StorageError {
  readonly code = 'Storage.ImageDigestMismatch';
  constructor(
    readonly region: string,
    readonly snapshotId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `snapshot ${snapshotId} in region ${region}: image digest ${actual} does not match manifest ${expected}`,
    );
  }
}

export class RangeNotSatisfiableError extends StorageError {
  readonly code = 'Storage.RangeNotSatisfiable';
  constructor(
    readonly start: number,
    readonly end: number,
    readonly size: number,
  ) {
    super(`byte range ${start}-${end} is outside a ${size}-byte image`);
  }
}

/** The region's store has no space (or quota) left; nothing partial was left behind. */
export class StorageFullError extends StorageError {
  readonly code = 'Storage.Full';
  constructor(
    readonly region: string,
    readonly what: string,
    /** Why it is full, in the store's words: a disk's ENOSPC, a bucket's QuotaExceeded. */
    readonly reason = 'no space left on device',
  ) {
    super(`the store of region ${region} is full (${reason}) writing ${what}`);
  }
}

/** A region's store did not answer within the retry limit: names the region and why. */
export class RegionUnreachableError extends StorageError {
  readonly code = 'Storage.RegionUnreachable';
  constructor(
    readonly region: string,
    readonly url: string,
    readonly reason: string,
    readonly attempts: number,
  ) {
    super(
      `region ${region}'s store at ${url} could not be reached (${attempts} attempts): ${reason}`,
    );
  }
}

/** A region's store refused our signature: the regions do not share SNAPFERRY_REGION_SECRET. */
export class RegionAuthError extends StorageError {
  readonly code = 'Storage.RegionAuthFailed';
  constructor(
    readonly region: string,
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `region ${region}'s store at ${url} refused authentication (${reason}): check that SNAPFERRY_REGION_SECRET is the same in every region`,
    );
  }
}
