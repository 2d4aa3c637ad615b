import { chunkCount, chunkSizeAt } from './chunking';
import { InvalidManifestError } from './errors';
import { isDigest, isRegionId, isSnapshotId } from './ids';

export interface ManifestChunk {
  digest: string;
  size: number;
}

/** One snapshot's data: its chunks in order. Written last, so its presence means "complete". */
export interface Manifest {
  version: 1;
  snapshotId: string;
  chunkSize: number;
  totalLength: number;
  /** SHA-256 hex of the whole image, checked again after every copy. */
  imageDigest: string;
  chunks: ManifestChunk[];
  createdAt: string;
  copiedFrom?: { region: string; snapshotId: string };
}

export interface ManifestInput {
  snapshotId: string;
  chunkSize: number;
  chunks: ManifestChunk[];
  imageDigest: string;
  createdAt: Date;
  copiedFrom?: { region: string; snapshotId: string };
}

export function buildManifest(input: ManifestInput): Manifest {
  const manifest: Manifest = {
    version: 1,
    snapshotId: input.snapshotId,
    chunkSize: input.chunkSize,
    totalLength: input.chunks.reduce((sum, chunk) => sum + chunk.size, 0),
    imageDigest: input.imageDigest,
    chunks: input.chunks,
    createdAt: input.createdAt.toISOString(),
    ...(input.copiedFrom ? { copiedFrom: input.copiedFrom } : {}),
  };
  return validateManifest(manifest);
}

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** Checks that a parsed value is a self-consistent manifest (fixed-size chunks adding up). */
export function validateManifest(value: unknown, expectedSnapshotId?: string): Manifest {
  const fail = (reason: string): never => {
    throw new InvalidManifestError(expectedSnapshotId, reason);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const m = value as Partial<Record<keyof Manifest, unknown>>;
  if (m.version !== 1) fail(`unsupported version ${JSON.stringify(m.version)}`);
  if (!isSnapshotId(m.snapshotId)) return fail('bad snapshotId');
  if (expectedSnapshotId !== undefined && m.snapshotId !== expectedSnapshotId) {
    fail(`belongs to ${m.snapshotId}`);
  }
  if (!isPositiveInteger(m.chunkSize)) return fail('bad chunkSize');
  if (
    typeof m.totalLength !== 'number' ||
    !Number.isSafeInteger(m.totalLength) ||
    m.totalLength < 0
  ) {
    return fail('bad totalLength');
  }
  if (!isDigest(m.imageDigest)) return fail('bad imageDigest');
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) {
    return fail('bad createdAt');
  }
  if (!Array.isArray(m.chunks)) return fail('chunks is not an array');
  const { totalLength, chunkSize } = m;
  const chunks = m.chunks as unknown[];
  if (chunks.length !== chunkCount(m.totalLength, m.chunkSize)) {
    fail(`${chunks.length} chunks for ${m.totalLength} bytes in ${m.chunkSize}-byte chunks`);
  }
  chunks.forEach((chunk, index) => {
    const c = chunk as Partial<ManifestChunk> | null;
    if (typeof c !== 'object' || c === null || !isDigest(c.digest))
      fail(`chunk ${index}: bad digest`);
    const expected = chunkSizeAt(index, totalLength, chunkSize);
    if (c?.size !== expected) fail(`chunk ${index}: size ${c?.size} where ${expected} expected`);
  });
  if (m.copiedFrom !== undefined) {
    const from = m.copiedFrom;
    const ok =
      typeof from === 'object' &&
      from !== null &&
      'region' in from &&
      'snapshotId' in from &&
      isRegionId(from.region) &&
      isSnapshotId(from.snapshotId);
    if (!ok) fail('bad copiedFrom');
  }
  return value as Manifest;
}
