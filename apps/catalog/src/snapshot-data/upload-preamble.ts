import type { IncomingMessage } from 'node:http';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import type { UploadLease, UploadLeases } from './upload-leases';
import type { Reservation, UploadMemory } from './upload-memory';

/**
 * What every way of sending a snapshot's data does first: the body must be raw bytes, one
 * upload of a snapshot runs at a time (across catalogs), its memory is the caller's share,
 * and a client that goes away stops the work.
 */

/** 415 unless the body is `application/octet-stream`; `what` names what to send. */
export function assertOctetStream(contentType: string | undefined, what: string): void {
  if (!contentType?.startsWith('application/octet-stream'))
    throw new ApiError(
      415,
      'InvalidParameter.ContentType',
      `send ${what} as application/octet-stream`,
    );
}

/** The snapshot's upload lease, or 409 while another upload of it runs. */
export async function acquireUploadLease(
  leases: UploadLeases,
  snapshotId: string,
): Promise<UploadLease> {
  const lease = await leases.acquire(snapshotId);
  if (!lease)
    throw new ApiError(
      409,
      'UnsupportedOperation.UploadInProgress',
      `an upload of ${snapshotId} is already in progress`,
    );
  return lease;
}

/**
 * `bytes` of the caller's upload memory (429 when over), then the lease; the memory goes back
 * when the lease cannot be had.
 */
export async function leaseWithMemory(
  leases: UploadLeases,
  memory: UploadMemory,
  caller: Caller,
  snapshotId: string,
  bytes: number,
): Promise<{ lease: UploadLease; buffers: Reservation }> {
  const buffers = memory.reserve(caller, bytes);
  try {
    return { lease: await acquireUploadLease(leases, snapshotId), buffers };
  } catch (error) {
    buffers.release();
    throw error;
  }
}

/** Aborted when the client goes away before its body has ended. */
export function abortedWhenClientGoes(request: IncomingMessage): AbortController {
  const aborted = new AbortController();
  request.on('close', () => !request.complete && aborted.abort(new Error('client went away')));
  return aborted;
}
