import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError, StorageFullError } from '../errors';
import { s3Failure } from './s3-error-code';

/** A bucket's answers that say "try again later" (the SDK has already retried them a few times). */
const transient = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'TimeoutError',
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
]);

/** A bucket that has no room left (a quota; RGW answers 403 QuotaExceeded). */
const full = new Set(['QuotaExceeded', 'InsufficientStorage', 'EntityTooLarge']);

/** The region's bucket kept failing for longer than the retry budget: names the S3 error. */
export class ObjectStoreUnavailableError extends StorageError {
  readonly code = 'Storage.ObjectStoreUnavailable';
  constructor(
    readonly region: string,
    readonly s3Code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The bucket refused a call for good (access denied, a bad request): names the S3 error. */
export class ObjectStoreRefusedError extends StorageError {
  readonly code = 'Storage.ObjectStoreRefused';
  constructor(
    readonly region: string,
    readonly s3Code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ObjectStoreCallOptions {
  region: string;
  /** `bucket "x" at https://…`, for messages. */
  where: string;
  /** How long a call keeps retrying while the bucket fails transiently (SNAPFERRY_REGION_RETRY_MS). */
  retryForMs: number;
  signal?: AbortSignal;
}

/** Whether an S3 failure is worth another try: the network, a 5xx, throttling. */
export function isTransient(error: unknown): boolean {
  const { code, httpStatus } = s3Failure(error);
  if (httpStatus !== undefined) return httpStatus >= 500 || transient.has(code);
  return transient.has(code) || /^E[A-Z]+$/.test(code) || code === 'AbortError';
}

/**
 * Runs one S3 call (`what`, for messages) with the SDK's own quick retries underneath and, on
 * top, backoff (0.2 s doubling to 5 s) for as long as `retryForMs` while the bucket fails
 * transiently (a gateway restarting, 503 SlowDown, timeouts): a copy outlives a restart of the
 * object store. The last try is made when the budget ends, and only a failure past it fails
 * the call, with ObjectStoreUnavailableError naming the S3 error and the tries made (the
 * SDK's included); a full bucket is a StorageFullError (as a full disk is); any other refusal
 * an ObjectStoreRefusedError.
 */
export async function objectStoreCall<T>(
  what: string,
  call: () => Promise<T>,
  options: ObjectStoreCallOptions,
): Promise<T> {
  const started = Date.now();
  let delay = 200;
  let tries = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      tries += sdkAttempts(error);
      const { code, httpStatus, detail } = s3Failure(error);
      const status = httpStatus ? ` (HTTP ${httpStatus})` : '';
      if (full.has(code))
        throw new StorageFullError(
          options.region,
          what,
          `${options.where} refused the write: ${code}${status}`,
        );
      if (!isTransient(error))
        throw new ObjectStoreRefusedError(
          options.region,
          code,
          `region ${options.region}'s object store (${options.where}) refused ${what}: ${code}${status}: ${detail}`,
        );
      const elapsed = Date.now() - started;
      if (elapsed >= options.retryForMs)
        throw new ObjectStoreUnavailableError(
          options.region,
          code,
          `region ${options.region}'s object store (${options.where}) kept failing ${what} for ${Math.round(elapsed / 1000)} s (${tries} tries): ${code}${status}: ${detail}`,
        );
      const wait = Math.min(delay, options.retryForMs - elapsed);
      await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** How many tries the SDK made before it gave up (its own retries), 1 if it does not say. */
function sdkAttempts(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}

/** Whether the failure is S3's "no such key" (an answer, not an error, for reads). */
export function isNoSuchKey(error: unknown): boolean {
  const { code, httpStatus } = s3Failure(error);
  return code === 'NoSuchKey' || (httpStatus === 404 && code === 'NotFound');
}

/** Whether a conditional write found the key there already (412 PreconditionFailed). */
export function isAlreadyThere(error: unknown): boolean {
  const { code, httpStatus } = s3Failure(error);
  return httpStatus === 412 || code === 'PreconditionFailed';
}
