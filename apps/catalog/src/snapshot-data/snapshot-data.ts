import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { assertUploadAllowed, regionChunkSize } from '@snapferry/domain';
import type { SnapferryConfig } from '@snapferry/platform';
import {
  readStream,
  RegionStores,
  SnapshotExistsError,
  StorageFullError,
  storeStream,
  storeStreamMemory,
  TooLargeError,
} from '@snapferry/storage';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { SnapshotQueries } from '../snapshots/snapshot-queries';
import { CatalogTransactions } from '../transactions/catalog-transactions';
import { CONFIG, LOGGER } from '../tokens';
import { parseByteRange } from './byte-range';
import { DownloadFailures } from './download-failures';
import { dropUnrecordedManifest, recordDataStored, storageFull } from './record-data-stored';
import { UploadLeases } from './upload-leases';
import { UploadMemory } from './upload-memory';
import { abortedWhenClientGoes, assertOctetStream, leaseWithMemory } from './upload-preamble';

/**
 * Upload and read-back of a snapshot's bytes. The state is checked before a byte is read;
 * the data goes to the region's store (manifest last) and only then is SnapshotDataStored
 * appended, so an aborted upload leaves the snapshot CREATING and can be retried.
 */
@Injectable()
export class SnapshotData {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly queries: SnapshotQueries,
    private readonly regionStores: RegionStores,
    private readonly leases: UploadLeases,
    private readonly memory: UploadMemory,
    @Inject(CONFIG) private readonly config: SnapferryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly downloadFailures: DownloadFailures,
  ) {}

  async upload(
    caller: Caller,
    snapshotId: string,
    contentType: string | undefined,
    request: Request,
    requestId: string,
  ) {
    assertOctetStream(contentType, 'the disk image');
    const snapshot = assertUploadAllowed(
      await this.transactions.snapshotState(snapshotId),
      caller.accountId,
      snapshotId,
    );
    const declared = Number(request.headers['content-length'] ?? NaN);
    const maxBytes = snapshot.diskSizeGiB * 1024 ** 3;
    if (declared > maxBytes)
      throw new ApiError(
        413,
        'UnsupportedOperation.SnapshotDataTooLarge',
        `the image is larger than the disk (${snapshot.diskSizeGiB} GiB)`,
      );
    const chunkSize = regionChunkSize(this.config.regions, snapshot.region, this.config.chunkSize);
    // The chunk buffers storeStream fills, under the caller's share of the upload memory; one
    // upload per snapshot at a time, across catalog instances.
    const { lease, buffers } = await leaseWithMemory(
      this.leases,
      this.memory,
      caller,
      snapshotId,
      storeStreamMemory(chunkSize, declared >= 0 ? declared : Infinity),
    );
    const regionStore = this.regionStores.get(snapshot.region);
    const aborted = abortedWhenClientGoes(request);
    const signal = AbortSignal.any([aborted.signal, lease.lost]);
    try {
      await dropUnrecordedManifest(
        { transactions: this.transactions, logger: this.logger },
        regionStore,
        snapshotId,
      );
      const manifest = await storeStream(regionStore, snapshotId, request, {
        accountId: caller.accountId,
        chunkSize,
        maxBytes,
        signal,
      })
        .finally(() => buffers.release()) // storeStream has given its buffers back
        .catch((error: unknown) => {
          throw uploadFailure(error, snapshot, snapshotId, {
            clientGone: aborted.signal.aborted || !request.complete,
            leaseLost: lease.lost.aborted,
          });
        });
      await recordDataStored(
        { transactions: this.transactions, logger: this.logger },
        regionStore,
        caller,
        requestId,
        manifest,
      );
      return this.queries.get(caller, snapshotId);
    } finally {
      await lease.release();
    }
  }

  async download(
    caller: Caller,
    snapshotId: string,
    rangeHeader: string | undefined,
    response: Response,
  ): Promise<void> {
    const view = await this.queries.view(caller, snapshotId);
    if (view.state !== 'NORMAL')
      throw new ApiError(
        409,
        'UnsupportedOperation.SnapshotNotNormal',
        `snapshot ${snapshotId} is ${view.state}; its data can be read when it is NORMAL`,
      );
    const manifest = await this.regionStores.get(view.region).getManifest(snapshotId);
    if (!manifest)
      throw new ApiError(
        404,
        'ResourceNotFound.SnapshotData',
        `snapshot ${snapshotId} has no data in ${view.region}`,
      );
    const length = manifest.totalLength;
    const range = parseByteRange(rangeHeader, length);
    response.setHeader('accept-ranges', 'bytes');
    // The whole image's SHA-256 where there is one; else the root, marked so nobody takes it
    // for a SHA-256 of the bytes. The root and the chunk size let a reader check either way.
    response.setHeader(
      'etag',
      manifest.imageDigest ? `"${manifest.imageDigest}"` : `"root:${manifest.root}"`,
    );
    response.setHeader('x-snapferry-root', manifest.root);
    response.setHeader('x-snapferry-chunk-size', String(manifest.chunkSize));
    response.setHeader('content-type', 'application/octet-stream');
    if (range === 'unsatisfiable') {
      response.status(416).setHeader('content-range', `bytes */${length}`);
      response.end();
      return;
    }
    if (range) {
      response.status(206);
      response.setHeader('content-range', `bytes ${range.start}-${range.end - 1}/${length}`);
      response.setHeader('content-length', String(range.end - range.start));
    } else {
      response.status(200);
      response.setHeader('content-length', String(length));
    }
    // Bytes are verified chunk by chunk as they stream; a corrupt chunk aborts the response.
    await pipeline(
      readStream(
        this.regionStores.get(view.region),
        manifest,
        range ? { start: range.start, end: range.end - 1 } : {},
      ),
      response,
    ).catch((error: unknown) => {
      this.downloadFailures.record(error, { snapshotId, region: view.region });
      response.destroy();
    });
  }
}

/** What a failed upload answers: the store's own verdict first, then the client or the lease. */
function uploadFailure(
  error: unknown,
  snapshot: { region: string; diskSizeGiB: number },
  snapshotId: string,
  { clientGone, leaseLost }: { clientGone: boolean; leaseLost: boolean },
): unknown {
  if (error instanceof TooLargeError)
    return new ApiError(
      413,
      'UnsupportedOperation.SnapshotDataTooLarge',
      `the image is larger than the disk (${snapshot.diskSizeGiB} GiB)`,
    );
  if (error instanceof StorageFullError) return storageFull(snapshot.region);
  if (error instanceof SnapshotExistsError)
    return new ApiError(
      409,
      'UnsupportedOperation.DataAlreadyStored',
      `snapshot ${snapshotId} already holds its data`,
    );
  if (leaseLost)
    return new ApiError(
      503,
      'ServiceUnavailable',
      'the upload was interrupted (its lease could not be renewed); retry it',
      { 'retry-after': '5' },
    );
  // The client went away mid-body: its fault, not ours (no 5xx, no error log).
  if (clientGone || (error as { code?: string }).code === 'ECONNRESET')
    return new ApiError(
      400,
      'InvalidParameter.UploadAborted',
      'the upload ended before its body was complete; retry it',
    );
  return error;
}
