import type { UploadManifestRequest } from '@snapferry/contracts';
import { maxChunkSize, minChunkSize } from '@snapferry/domain';
import { isDigest, manifestRoot, type ManifestChunk } from '@snapferry/storage';
import { ApiError } from '../../http/api-error';

/** A manifest a client declared for an incremental upload, checked: what the commit will write. */
export interface UploadPlan {
  chunkSize: number;
  imageDigest: string;
  root: string;
  chunks: ManifestChunk[];
  totalLength: number;
  /** Each distinct chunk once, with its size. */
  sizes: Map<string, number>;
}

export interface PlanLimits {
  /** The disk's size: more data than that is refused, as in the streaming upload. */
  maxBytes: number;
  /** The catalog's own chunk size (SNAPFERRY_CHUNK_SIZE), always accepted. */
  regionChunkSize: number;
}

const invalid = (code: string, message: string): never => {
  throw new ApiError(400, code, message);
};

/**
 * Checks a declared manifest in one pass: the chunk size, each chunk's digest and size (every
 * chunk full but the last), the total against the disk, and that `root` is the root of these
 * chunks. Pure: no I/O, so a refused manifest changes nothing.
 */
export function validateUploadPlan(body: UploadManifestRequest, limits: PlanLimits): UploadPlan {
  const { chunkSize, imageDigest, root } = body;
  if (
    chunkSize !== limits.regionChunkSize &&
    (chunkSize < minChunkSize || chunkSize > maxChunkSize)
  )
    invalid(
      'InvalidParameter.ChunkSize',
      `chunkSize must be between ${minChunkSize} and ${maxChunkSize} bytes (this region uses ${limits.regionChunkSize})`,
    );
  const chunks: ManifestChunk[] = [];
  const sizes = new Map<string, number>();
  let totalLength = 0;
  body.chunks.forEach((entry: unknown, index) => {
    const { digest, size } = asChunk(entry, index);
    const last = index === body.chunks.length - 1;
    if (!Number.isInteger(size) || size < 1 || size > chunkSize || (!last && size !== chunkSize))
      invalid(
        'InvalidParameter.Manifest',
        `chunks[${index}].size must be ${last ? `1 to ${chunkSize}` : chunkSize} (every chunk but the last is chunkSize bytes)`,
      );
    // Equal digests are equal bytes: a repeat with another size cannot be true.
    if ((sizes.get(digest) ?? size) !== size)
      invalid(
        'InvalidParameter.Manifest',
        `chunks[${index}] repeats digest ${digest} with another size`,
      );
    chunks.push({ digest, size });
    sizes.set(digest, size);
    totalLength += size;
  });
  if (totalLength > limits.maxBytes)
    throw new ApiError(
      413,
      'UnsupportedOperation.SnapshotDataTooLarge',
      `the image (${totalLength} bytes) is larger than the disk (${limits.maxBytes} bytes)`,
    );
  const actual = manifestRoot(chunks);
  if (actual !== root)
    invalid(
      'InvalidParameter.ManifestRoot',
      `root ${root} is not the root of these chunks (${actual}): SHA-256 over each chunk's 32-byte digest and 8-byte big-endian size, in order`,
    );
  return { chunkSize, imageDigest, root, chunks, totalLength, sizes };
}

function asChunk(entry: unknown, index: number): ManifestChunk {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return invalid('InvalidParameter.Manifest', `chunks[${index}] must be {digest, size}`);
  const { digest, size } = entry as Record<string, unknown>;
  // Two own fields, and they are these two (checked without copying the entry).
  if (
    Object.keys(entry).length !== 2 ||
    !Object.hasOwn(entry, 'digest') ||
    !Object.hasOwn(entry, 'size')
  )
    invalid(
      'InvalidParameter.Manifest',
      `chunks[${index}] must have exactly the fields digest and size`,
    );
  if (!isDigest(digest))
    invalid(
      'InvalidParameter.Manifest',
      `chunks[${index}].digest must be a SHA-256 in lower-case hex`,
    );
  if (typeof size !== 'number')
    invalid('InvalidParameter.Manifest', `chunks[${index}].size must be a number`);
  return { digest: digest as string, size: size as number };
}

/** The same manifest again (a resumed upload or its commit): nothing to record anew. */
export const samePlan = (
  a: Pick<UploadPlan, 'chunkSize' | 'imageDigest' | 'root'>,
  b: Pick<UploadPlan, 'chunkSize' | 'imageDigest' | 'root'>,
): boolean => a.root === b.root && a.imageDigest === b.imageDigest && a.chunkSize === b.chunkSize;
