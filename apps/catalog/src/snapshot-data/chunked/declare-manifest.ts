import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { UploadManifestRequest, UploadPlanResponse } from '@snapferry/contracts';
import { assertUploadAllowed, regionChunkSize } from '@snapferry/domain';
import type { SnapferryConfig } from '@snapferry/platform';
import {
  buildManifest,
  MissingChunkError,
  RegionStores,
  type RegionStore,
} from '@snapferry/storage';
import type { Caller } from '../../http/api-keys';
import { SnapshotQueries } from '../../snapshots/snapshot-queries';
import { CatalogTransactions } from '../../transactions/catalog-transactions';
import { CONFIG, LOGGER } from '../../tokens';
import { recordDataStored, whenStorageFull } from '../record-data-stored';
import { UploadLeases } from '../upload-leases';
import { acquireUploadLease } from '../upload-preamble';
import { samePlan, validateUploadPlan, type UploadPlan } from './upload-plan';
import { UploadPlans } from './upload-plans';

const GiB = 1024 ** 3;

/** What is left to send of a plan, given the digests the region lacks. */
export function remaining(plan: UploadPlan, missing: string[]): UploadPlanResponse {
  return {
    missing,
    chunksTotal: plan.chunks.length,
    chunksMissing: missing.length,
    bytesMissing: missing.reduce((sum, digest) => sum + (plan.sizes.get(digest) ?? 0), 0),
    state: 'CREATING',
  };
}

/**
 * `POST /v1/snapshots/{id}/data/manifest`: the client declares the image's chunks; the answer
 * is the digests the region lacks. Once it lacks none, the same call commits: the manifest is
 * written (the store refuses it unless every chunk is present) and SnapshotDataStored appended,
 * exactly as at the end of a streaming upload. The server has verified every chunk it received
 * and the root; the whole-image digest is the client's, computed while it chunked the file.
 */
@Injectable()
export class DeclareManifest {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly queries: SnapshotQueries,
    private readonly regionStores: RegionStores,
    private readonly leases: UploadLeases,
    private readonly plans: UploadPlans,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async declare(
    caller: Caller,
    snapshotId: string,
    body: UploadManifestRequest,
    requestId: string,
  ): Promise<UploadPlanResponse> {
    const snapshot = assertUploadAllowed(
      await this.transactions.snapshotState(snapshotId),
      caller.accountId,
      snapshotId,
    );
    const plan = validateUploadPlan(body, {
      maxBytes: snapshot.diskSizeGiB * GiB,
      regionChunkSize: regionChunkSize(this.config.regions, snapshot.region, this.config.chunkSize),
    });
    const region = this.regionStores.get(snapshot.region);
    await this.record(snapshotId, plan, region);
    // Only what this account already references there may be skipped (dedup never crosses accounts).
    const missing = await region.missingChunks([...plan.sizes.keys()], caller.accountId);
    if (missing.length > 0) return remaining(plan, missing);
    return this.commit(caller, snapshotId, plan, region, requestId);
  }

  /** A new or changed plan: its chunks become pending in the region (GC keeps them), then the row. */
  private async record(snapshotId: string, plan: UploadPlan, region: RegionStore): Promise<void> {
    const stored = await this.plans.header(snapshotId);
    if (stored && samePlan(stored, plan)) return;
    await region.addPending(snapshotId, [...plan.sizes.keys()]).catch((error: unknown) => {
      throw whenStorageFull(error, region.region, 'this upload');
    });
    await this.plans.save(snapshotId, plan);
  }

  private async commit(
    caller: Caller,
    snapshotId: string,
    plan: UploadPlan,
    region: RegionStore,
    requestId: string,
  ): Promise<UploadPlanResponse> {
    // One upload per snapshot at a time: a streaming upload of it cannot run meanwhile.
    const lease = await acquireUploadLease(this.leases, snapshotId);
    try {
      // Checked again under the lease: an upload that ended meanwhile has appended its event.
      assertUploadAllowed(
        await this.transactions.snapshotState(snapshotId),
        caller.accountId,
        snapshotId,
      );
      const manifest = buildManifest({
        snapshotId,
        accountId: caller.accountId,
        chunkSize: plan.chunkSize,
        chunks: plan.chunks,
        imageDigest: plan.imageDigest,
        createdAt: new Date(),
      });
      try {
        await region.putManifest(manifest);
      } catch (error) {
        // A chunk went since it was counted (a scrub removed it, say): send it again.
        if (error instanceof MissingChunkError)
          return remaining(
            plan,
            await region.missingChunks([...plan.sizes.keys()], caller.accountId),
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
      await this.forget(snapshotId, region);
      const snapshot = await this.queries.get(caller, snapshotId);
      return { ...remaining(plan, []), state: 'NORMAL', snapshot };
    } finally {
      await lease.release();
    }
  }

  /** The upload is committed: its plan and pending record are no longer needed. */
  private async forget(snapshotId: string, region: RegionStore): Promise<void> {
    await Promise.all([this.plans.delete(snapshotId), region.deletePending(snapshotId)]).catch(
      (error: unknown) =>
        // The snapshot is NORMAL; leftovers go with the snapshot (the data reaper).
        this.logger.warn(
          { err: error, snapshotId },
          'could not drop the upload plan or pending record of a committed upload; they go when the snapshot is deleted',
        ),
    );
  }
}
