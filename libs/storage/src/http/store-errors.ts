import {
  CorruptChunkError,
  InvalidIdError,
  InvalidManifestError,
  MissingChunkError,
  StorageFullError,
} from '../errors';

/**
 * How a region's store service answers the storage errors, and how `HttpRegionStore` reads
 * those answers back into the same errors: the one table both sides of the wire use.
 */
export const storeErrors = {
  invalid: { status: 400, code: 'InvalidParameter' },
  malformedJson: { status: 400, code: 'InvalidParameter.MalformedJson' },
  corruptChunk: { status: 400, code: 'InvalidParameter.ChunkDigestMismatch' },
  notServed: { status: 404, code: 'ResourceNotFound.Region' },
  /** A manifest refused because chunks are missing; `missing` lists them. */
  chunksMissing: { status: 409, code: 'FailedOperation.ChunksMissing' },
  /** The disk or the bucket is full; `reason` says which. */
  full: { status: 507, code: 'ResourceInsufficient.StorageFull' },
} as const;

/** A store answer: status, code and message, and the extra fields of the error body. */
export interface StoreAnswer {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, unknown>;
}

/** The store service's answer to a storage error, or null for an error that is not one. */
export function storeAnswerOf(error: unknown): StoreAnswer | null {
  const answer = (row: { status: number; code: string }, extra?: Record<string, unknown>) => ({
    ...row,
    message: (error as Error).message,
    ...(extra ? { extra } : {}),
  });
  if (error instanceof InvalidIdError || error instanceof InvalidManifestError)
    return answer(storeErrors.invalid);
  if (error instanceof CorruptChunkError) return answer(storeErrors.corruptChunk);
  if (error instanceof MissingChunkError)
    return answer(storeErrors.chunksMissing, { missing: error.digests });
  if (error instanceof StorageFullError) return answer(storeErrors.full, { reason: error.reason });
  return null;
}
