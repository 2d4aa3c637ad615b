import { CorruptChunkError, MissingChunkError } from '../errors';
import type { LocalRegionStore } from '../region-store';
import type { ScrubReport } from '../region-maintenance';

/**
 * The operator's full check, in the spirit of a ZFS scrub: every stored chunk is re-read and
 * re-hashed, and every manifest's chunks are checked for presence. Copies never need this
 * (chunks are verified when written and when read); it finds what the disk did since.
 */
export async function scrubRegion(
  store: LocalRegionStore,
  { signal }: { signal?: AbortSignal } = {},
): Promise<ScrubReport> {
  const report: ScrubReport = {
    region: store.region,
    chunksChecked: 0,
    bytesChecked: 0,
    corrupt: [],
    missing: [],
  };
  const corrupt = new Set<string>();
  for await (const chunk of store.listChunks()) {
    signal?.throwIfAborted();
    try {
      const bytes = await store.getChunk(chunk.digest);
      report.bytesChecked += bytes.length;
    } catch (error) {
      // A patch whose whole chunk is gone (removed as corrupt, say) cannot be read either.
      const unreadable =
        error instanceof MissingChunkError && (await store.statChunk(chunk.digest)) !== null;
      if (!(error instanceof CorruptChunkError) && !unreadable) throw error;
      corrupt.add(chunk.digest);
      await store.deleteChunk(chunk.digest);
    }
    report.chunksChecked++;
  }
  const referencing = new Map<string, string[]>();
  const missing = new Set<string>();
  for (const id of await store.listManifests()) {
    signal?.throwIfAborted();
    const manifest = await store.getManifest(id);
    for (const digest of new Set(manifest?.chunks.map((c) => c.digest) ?? [])) {
      if (!corrupt.has(digest) && (await store.statChunk(digest)) === null) missing.add(digest);
      if (corrupt.has(digest) || missing.has(digest))
        referencing.set(digest, [...(referencing.get(digest) ?? []), id]);
    }
  }
  const findings = (digests: Set<string>) =>
    [...digests].map((digest) => ({ digest, snapshots: referencing.get(digest) ?? [] }));
  report.corrupt = findings(corrupt);
  report.missing = findings(missing);
  return report;
}
