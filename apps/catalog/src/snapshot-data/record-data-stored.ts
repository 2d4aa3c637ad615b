import type { Logger } from 'pino';
import { DomainError, storeSnapshotData, streamIds } from '@snapferry/domain';
import { CommitOutcomeUnknownError } from '@snapferry/event-store';
import { StorageFullError, type Manifest, type RegionStore } from '@snapferry/storage';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { meta } from '../snapshots/snapshot-commands';
import type { CatalogTransactions } from '../transactions/catalog-transactions';

/**
 * What a failed append of SnapshotDataStored means for the manifest just written:
 * - `in-doubt`: the database could not say whether it committed (the connection failed while
 *   COMMIT was in flight and stayed away): the snapshot may be NORMAL on this manifest, so it
 *   stays. A snapshot that turns out CREATING drops it at the next upload; one deleted, the
 *   data reaper.
 * - `theirs`: the snapshot already holds data (a concurrent upload won), and a snapshot's
 *   manifest has one path: the file is the data of a NORMAL snapshot now.
 * - `drop`: the append definitely did not happen (the decider refused, a conflict, any error
 *   before COMMIT, a COMMIT the database says it rolled back): the data must not outlive it.
 */
export function manifestAfterFailedRecord(error: unknown): 'in-doubt' | 'theirs' | 'drop' {
  if (error instanceof CommitOutcomeUnknownError) return 'in-doubt';
  if (error instanceof DomainError && error.code === 'UnsupportedOperation.DataAlreadyStored')
    return 'theirs';
  return 'drop';
}

/**
 * The last step of every upload, streaming or incremental: the manifest is written, so append
 * SnapshotDataStored (the snapshot becomes NORMAL). If that is refused (the snapshot was
 * deleted meanwhile, say), drop the manifest so the data does not outlive its snapshot; if
 * the database cannot say whether it was recorded, keep it and answer 503.
 * (A COMMIT whose answer alone was lost is looked up by the event store: it succeeds here.)
 */
export async function recordDataStored(
  { transactions, logger }: { transactions: CatalogTransactions; logger: Logger },
  regionStore: RegionStore,
  caller: Caller,
  requestId: string,
  manifest: Manifest,
): Promise<void> {
  const { snapshotId } = manifest;
  try {
    await transactions.transaction(meta(caller, requestId), async (tx) => {
      const { state: now, version } = await tx.snapshot(snapshotId);
      tx.append(streamIds.snapshot(snapshotId), version, [
        storeSnapshotData(now, {
          accountId: caller.accountId,
          snapshotId,
          sizeBytes: manifest.totalLength,
          ...(manifest.imageDigest !== undefined ? { digest: manifest.imageDigest } : {}),
          root: manifest.root,
          chunkCount: manifest.chunks.length,
          now: new Date().toISOString(),
        }),
      ]);
    });
  } catch (error) {
    const verdict = manifestAfterFailedRecord(error);
    if (verdict === 'in-doubt') {
      logger.warn(
        { err: error, snapshotId, region: regionStore.region, requestId },
        'the database did not confirm whether the upload was recorded; its data is kept',
      );
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `the database did not confirm whether the data of ${snapshotId} was recorded; the data is kept: read the snapshot once the service answers (NORMAL: done; CREATING: upload again)`,
        { 'retry-after': '5' },
      );
    }
    if (verdict === 'drop')
      // If dropping the data fails too, the next upload drops it (dropUnrecordedManifest) or
      // the data reaper's sweep finds the manifest of a deleted snapshot and removes it.
      await regionStore
        .deleteManifest(snapshotId)
        .catch((cleanup: unknown) =>
          logger.warn(
            { err: cleanup, snapshotId },
            'could not drop the data of an upload that was not recorded; the next upload or the data reaper will',
          ),
        );
    throw error;
  }
}

/**
 * Before a streaming upload stores anything (under its lease): a manifest of a snapshot that
 * is still CREATING was never recorded (an upload answered 503 because the database could
 * not say whether it was), so it gives way to this upload. A NORMAL snapshot's stays, and
 * the upload is refused as before.
 */
export async function dropUnrecordedManifest(
  { transactions, logger }: { transactions: CatalogTransactions; logger: Logger },
  regionStore: RegionStore,
  snapshotId: string,
): Promise<void> {
  if (!(await regionStore.getManifest(snapshotId))) return;
  if ((await transactions.snapshotState(snapshotId))?.status !== 'CREATING') return;
  logger.warn(
    { snapshotId, region: regionStore.region },
    'dropping the unrecorded data of an earlier upload of a CREATING snapshot',
  );
  await regionStore.deleteManifest(snapshotId);
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
