import type { Request } from 'express';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ChangesStoredResponse } from '@snapferry/contracts';
import { assertChangesAllowed, DomainError } from '@snapferry/domain';
import type { SnapferryConfig } from '@snapferry/platform';
import {
  buildManifest,
  ChangedRangeError,
  MissingChunkError,
  parseChangeStream,
  rebuildFromBase,
  RegionStores,
  type Manifest,
  type RegionStore,
} from '@snapferry/storage';
import { ApiError } from '../../http/api-error';
import type { Caller } from '../../http/api-keys';
import { SnapshotQueries } from '../../snapshots/snapshot-queries';
import { CatalogTransactions } from '../../transactions/catalog-transactions';
import { CONFIG, LOGGER } from '../../tokens';
import { recordDataStored, whenStorageFull } from '../record-data-stored';
import { UploadLeases } from '../upload-leases';
import { UploadMemory } from '../upload-memory';
import { abortedWhenClientGoes, assertOctetStream, leaseWithMemory } from '../upload-preamble';

const GiB = 1024 ** 3;
/**
 * Rebuilt chunks completed, hashed and written at once while the next one fills: 16 MiB of
 * them (four 4 MiB chunks, 32 of 512 KiB, whose small writes and fsyncs then overlap).
 */
const rebuildParallel = (chunkSize: number) =>
  Math.min(32, Math.max(4, Math.floor((16 * 1024 * 1024) / chunkSize)));

/**
 * `POST /v1/snapshots/{id}/data/changes`: a snapshot registered with a base receives only the
 * changed ranges (a change stream); the region builds its manifest from the base's, rebuilding
 * only the chunks the ranges touch, and commits it as any upload does. Refusals (a bad range,
 * a body that does not match its final digest, a base deleted meanwhile) leave the snapshot
 * CREATING with no manifest: the chunks written meanwhile are garbage that GC collects.
 */
@Injectable()
export class StoreChanges {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly queries: SnapshotQueries,
    private readonly regionStores: RegionStores,
    private readonly leases: UploadLeases,
    private readonly memory: UploadMemory,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async receive(
    caller: Caller,
    snapshotId: string,
    contentType: string | undefined,
    request: Request,
    requestId: string,
  ): Promise<ChangesStoredResponse> {
    assertOctetStream(contentType, 'the changes');
    const { snapshot, base } = await this.allowed(caller, snapshotId);
    const region = this.regionStores.get(snapshot.region);
    const baseManifest = await region.getManifest(base.snapshotId);
    if (!baseManifest)
      throw new ApiError(
        409,
        'UnsupportedOperation.BaseSnapshotDeleted',
        `base snapshot ${base.snapshotId} has no data in ${snapshot.region} any more`,
      );
    // The chunk filling and those being written, each with its base chunk read beside it.
    const parallel = rebuildParallel(baseManifest.chunkSize);
    const { lease, buffers } = await leaseWithMemory(
      this.leases,
      this.memory,
      caller,
      snapshotId,
      2 * (parallel + 1) * baseManifest.chunkSize,
    );
    const aborted = abortedWhenClientGoes(request);
    try {
      // The base's chunks stay while this runs, whatever happens to the base meanwhile.
      await region
        .addPending(snapshotId, [...new Set(baseManifest.chunks.map((c) => c.digest))])
        .catch((error: unknown) => {
          throw whenStorageFull(error, region.region, 'this upload');
        });
      const rebuilt = await rebuildFromBase({
        store: region,
        base: baseManifest,
        writer: { accountId: caller.accountId, snapshotId },
        changes: parseChangeStream(request),
        maxBytes: snapshot.diskSizeGiB * GiB,
        parallel,
        signal: AbortSignal.any([aborted.signal, lease.lost]),
      })
        .finally(() => buffers.release())
        .catch((error: unknown) => {
          throw refusal(error, snapshot.region, aborted.signal.aborted);
        });
      const manifest = buildManifest({
        snapshotId,
        accountId: caller.accountId,
        chunkSize: rebuilt.chunkSize,
        chunks: rebuilt.chunks,
        createdAt: new Date(),
      });
      await this.commit(caller, snapshotId, manifest, region, requestId);
      await region
        .deletePending(snapshotId)
        .catch((error: unknown) =>
          this.logger.warn(
            { err: error, snapshotId },
            'could not drop the pending record of a committed upload; it goes when the snapshot is deleted',
          ),
        );
      return { snapshot: await this.queries.get(caller, snapshotId), ...rebuilt.stats };
    } finally {
      buffers.release();
      await lease.release();
    }
  }

  /** The snapshot and its base, as they stand now (refusals from the domain, nothing changed). */
  private async allowed(caller: Caller, snapshotId: string) {
    const state = await this.transactions.snapshotState(snapshotId);
    const baseId = state?.baseSnapshotId;
    const base = baseId ? await this.transactions.snapshotState(baseId) : null;
    return assertChangesAllowed(state, base, caller.accountId, snapshotId);
  }

  /** The base is judged again (deleted meanwhile?) before the manifest is written. */
  private async commit(
    caller: Caller,
    snapshotId: string,
    manifest: Manifest,
    region: RegionStore,
    requestId: string,
  ): Promise<void> {
    await this.allowed(caller, snapshotId);
    try {
      await region.putManifest(manifest);
    } catch (error) {
      // The base's chunks went (its deletion dropped its manifest, and the sweep the chunks).
      if (error instanceof MissingChunkError)
        throw new ApiError(
          409,
          'UnsupportedOperation.BaseSnapshotDeleted',
          `chunks of the base of ${snapshotId} are no longer in ${region.region} (the base was deleted meanwhile); nothing was stored`,
        );
      throw whenStorageFull(error, region.region, `the manifest of ${snapshotId}`);
    }
    await recordDataStored(
      { transactions: this.transactions, logger: this.logger },
      region,
      caller,
      requestId,
      manifest,
    );
  }
}

/** What a failed rebuild answers: a refusal of the body, the client gone, or the fault itself. */
function refusal(error: unknown, region: string, clientGone: boolean): unknown {
  // A body cut short because the client went away is its doing, whatever the parser saw.
  if (clientGone || (error as { code?: string }).code === 'ECONNRESET')
    return new ApiError(
      400,
      'InvalidParameter.UploadAborted',
      'the changes ended before their body was complete; send them again',
    );
  if (error instanceof ChangedRangeError)
    return new ApiError(
      error.code === 'UnsupportedOperation.SnapshotDataTooLarge' ? 413 : 400,
      error.code,
      `${error.message}; nothing was stored`,
    );
  if (error instanceof DomainError) return error;
  return whenStorageFull(error, region, 'this upload');
}
