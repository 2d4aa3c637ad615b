import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { ChunkStoredResponse } from '@snapferry/contracts';
import { assertUploadAllowed } from '@snapferry/domain';
import { CorruptChunkError, RegionStores } from '@snapferry/storage';
import { ApiError } from '../../http/api-error';
import type { Caller } from '../../http/api-keys';
import { CatalogTransactions } from '../../transactions/catalog-transactions';
import { whenStorageFull } from '../record-data-stored';
import { ChunkBodies } from './chunk-body';
import { UploadPlans } from './upload-plans';
import { assertOctetStream } from '../upload-preamble';

/**
 * `PUT /v1/snapshots/{id}/data/chunks/{digest}`: one chunk of a declared manifest. Idempotent
 * (content-addressed), so chunks may arrive in parallel and be retried; the region's store
 * verifies the bytes against the digest before they become visible.
 */
@Injectable()
export class PutChunk {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly plans: UploadPlans,
    private readonly regionStores: RegionStores,
    private readonly bodies: ChunkBodies,
  ) {}

  async put(
    caller: Caller,
    snapshotId: string,
    digest: string,
    contentType: string | undefined,
    request: IncomingMessage,
  ): Promise<ChunkStoredResponse> {
    assertOctetStream(contentType, 'the chunk');
    const snapshot = assertUploadAllowed(
      await this.transactions.snapshotState(snapshotId),
      caller.accountId,
      snapshotId,
    );
    const planned = await this.plans.chunk(snapshotId, digest);
    if (planned.kind === 'no-plan')
      throw new ApiError(
        409,
        'UnsupportedOperation.NoUploadPlan',
        `snapshot ${snapshotId} has no upload plan: POST its manifest to /v1/snapshots/${snapshotId}/data/manifest first`,
      );
    if (planned.kind === 'not-in-plan')
      throw new ApiError(
        400,
        'InvalidParameter.ChunkNotInManifest',
        `chunk ${digest} is not in the manifest declared for ${snapshotId}`,
      );
    const bytes = await this.bodies.read(caller, request, planned.size);
    try {
      const created = await this.regionStores
        .get(snapshot.region)
        .putChunk(digest, bytes, { accountId: caller.accountId, snapshotId });
      return { digest, size: planned.size, created };
    } catch (error) {
      if (error instanceof CorruptChunkError)
        throw new ApiError(
          400,
          'InvalidParameter.ChunkDigestMismatch',
          `the bytes sent hash to ${error.actualDigest}, not ${digest}; nothing was stored`,
        );
      throw whenStorageFull(error, snapshot.region, `chunk ${digest}`);
    } finally {
      this.bodies.giveBack(bytes); // its buffer and its share of the upload memory
    }
  }
}
