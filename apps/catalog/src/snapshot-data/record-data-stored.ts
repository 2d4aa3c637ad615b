import type { Logger } from 'pino';
import { storeSnapshotData, streamIds } from '@snapferry/domain';
import { StorageFullError, type Manifest, type RegionStore } from '@snapferry/storage';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import type { CatalogStore } from '../store/catalog-store';

/**
 * The last step of every upload, streaming or incremental: the manifest is written, so append
 * SnapshotDataStored (the snapshot becomes NORMAL). If that is refused (the snapshot was
 * deleted meanwhile, say), drop the manifest so the data does not outlive its snapshot.
 */
export async function recordDataStored(
  { store, logger }: { store: CatalogStore; logger: Logger },
  regionStore: RegionStore,
  caller: Caller,
  requestId: string,
  manifest: Manifest,
): Promise<void> {
  const { snapshotId } = manifest;
  try {
    await store.transaction(meta(caller, requestId), async (tx) => {
      const { state: now, version } = await tx.snapshot(snapshotId);
      tx.append(streamIds.snapshot(snapshotId), version, [
        storeSnapshotData(now, {
          accountId: caller.accountId,
          snapshotId,
          sizeBytes: manifest.totalLength,
          digest: manifest.imageDigest,
          chunkCount: manifest.chunks.length,
          now: new Date().toISOString(),
        }),
      ]);
    });
  } catch (error) {
    // If dropping the data fails too, the data reaper's sweep finds the manifest of a deleted
    // snapshot and removes it, so it cannot keep chunks forever.
    await regionStore
      .deleteManifest(snapshotId)
      .catch((cleanup: unknown) =>
        logger.warn(
          { err: cleanup, snapshotId },
          'could not drop the data of a snapshot deleted during its upload; the data reaper will',
        ),
      );
    throw error;
  }
}

/** A region store out of space, as every upload answers it (nothing partial was kept). */
export const storageFull = (region: string, what = 'this image'): ApiError =>
  new ApiError(
    507,
    'ResourceInsufficient.StorageFull',
    `region ${region} has no storage space left for ${what}; nothing was kept, retry once space is freed`,
  );

/** Maps the store's StorageFullError to its answer; anything else passes through. */
export const whenStorageFull = (error: unknown, region: string, what?: string): unknown =>
  error instanceof StorageFullError ? storageFull(region, what) : error;
