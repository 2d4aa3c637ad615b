import { createHash } from 'node:crypto';
import { chunkCount, chunkSizeAt } from './chunking';
import { InvalidManifestError } from './errors';
import { isAccountId, isDigest, isRegionId, isSnapshotId } from './ids';

export interface ManifestChunk {
  digest: string;
  size: number;
}

/** One snapshot's data: its chunks in order. Written last, so its presence means "complete". */
export interface Manifest {
  /** 2 adds `root`; version 1 files (without it) are still read, their root computed. */
  version: 1 | 2;
  snapshotId: string;
  chunkSize: number;
  totalLength: number;
  /**
   * SHA-256 hex of the whole image, as users know it (`sha256sum disk.img`): computed once,
   * at upload (by the client that hashed the file, for an incremental upload). Absent for a
   * snapshot made from a base plus changed ranges: nobody read the whole image.
   */
  imageDigest?: string;
  /**
   * The data's identity: SHA-256 over the ordered chunk digests and sizes (`manifestRoot`).
   * Equal roots mean equal bytes, given chunks verified against their digests, so a copy is
   * checked by its root and its chunks' presence, never by re-reading the image.
   */
  root: string;
  chunks: ManifestChunk[];
  createdAt: string;
  copiedFrom?: { region: string; snapshotId: string };
  /**
   * The account whose data this is. Dedup never crosses accounts: a manifest may name only
   * chunks its account has sent (or had copied) into the region. Absent in manifests written
   * before accounts were recorded: those chunks belong to nobody until sent again.
   */
  accountId?: string;
}

export interface ManifestInput {
  snapshotId: string;
  accountId: string;
  chunkSize: number;
  chunks: ManifestChunk[];
  imageDigest?: string;
  createdAt: Date;
  copiedFrom?: { region: string; snapshotId: string };
}

/**
 * The manifest's root: SHA-256 over each chunk's 32-byte digest followed by its size as a
 * 64-bit big-endian integer, in order. A flat Merkle-style hash: it commits to every chunk's
 * content (through its digest), position and length.
 */
export function manifestRoot(chunks: readonly ManifestChunk[]): string {
  const hash = createHash('sha256');
  const size = Buffer.alloc(8);
  for (const chunk of chunks) {
    hash.update(Buffer.from(chunk.digest, 'hex'));
    size.writeBigUInt64BE(BigInt(chunk.size));
    hash.update(size);
  }
  return hash.digest('hex');
}

export function buildManifest(input: ManifestInput): Manifest {
  const manifest: Manifest = {
    version: 2,
    snapshotId: input.snapshotId,
    chunkSize: input.chunkSize,
    totalLength: input.chunks.reduce((sum, chunk) => sum + chunk.size, 0),
    ...(input.imageDigest !== undefined ? { imageDigest: input.imageDigest } : {}),
    root: manifestRoot(input.chunks),
    chunks: input.chunks,
    createdAt: input.createdAt.toISOString(),
    ...(input.copiedFrom ? { copiedFrom: input.copiedFrom } : {}),
    accountId: input.accountId,
  };
  return validateManifest(manifest);
}

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** A stored manifest's text, parsed and checked: InvalidManifestError when it is not one. */
export function parseManifest(text: string, expectedSnapshotId: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidManifestError(expectedSnapshotId, 'not JSON');
  }
  return validateManifest(parsed, expectedSnapshotId);
}

/** Checks that a parsed value is a self-consistent manifest (fixed-size chunks adding up). */
export function validateManifest(value: unknown, expectedSnapshotId?: string): Manifest {
  const fail = (reason: string): never => {
    throw new InvalidManifestError(expectedSnapshotId, reason);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const m = value as Partial<Record<keyof Manifest, unknown>>;
  if (m.version !== 1 && m.version !== 2) fail(`unsupported version ${JSON.stringify(m.version)}`);
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
  if (m.imageDigest !== undefined && !isDigest(m.imageDigest)) return fail('bad imageDigest');
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
  if (m.accountId !== undefined && !isAccountId(m.accountId)) fail('bad accountId');
  const root = manifestRoot(chunks as ManifestChunk[]);
  if (m.version === 2 && m.root !== root)
    fail(`root ${String(m.root)} does not match its chunks (${root})`);
  return { ...(value as Manifest), version: 2, root };
}
