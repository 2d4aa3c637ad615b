import { StorageError } from '../errors';
import { credentialVariables } from './region-credentials';

/** What a failed start-up check of a region's bucket says, and where. */
export interface ObjectStoreProblem {
  region: string;
  endpoint: string;
  bucket: string;
  prefix: string;
  /** The S3 call that failed: `ListObjectsV2`, `PutObject` or `DeleteObject`. */
  operation: string;
  /** The S3 error code (`NoSuchBucket`, `SignatureDoesNotMatch`…) or the network's (`ECONNREFUSED`). */
  s3Code: string;
  /** The HTTP status, when the store answered. */
  httpStatus?: number;
  /** The store's or the network's own words. */
  detail: string;
}

/** The region's bucket cannot be used: the service serving the region must not start. */
export class ObjectStoreUnusableError extends StorageError {
  readonly code = 'Storage.ObjectStoreUnusable';
  constructor(readonly problem: ObjectStoreProblem) {
    const { region, endpoint, bucket, prefix, operation, s3Code, httpStatus, detail } = problem;
    const where = `bucket "${bucket}"${prefix ? ` (prefix "${prefix}")` : ''} at ${endpoint}`;
    const status = httpStatus ? ` (HTTP ${httpStatus})` : '';
    super(
      `region ${region}: object store unusable: ${operation} on ${where} failed with ${s3Code}${status}: ${detail}${hintFor(s3Code, region)}`,
    );
  }
}

/** What an operator checks first for the usual codes. */
function hintFor(code: string, region: string): string {
  const keys = `${credentialVariables(region).accessKeyId} / AWS_ACCESS_KEY_ID`;
  switch (code) {
    case 'NoSuchBucket':
      return ' — create the bucket, or correct objectStore.bucket in the regions file';
    case 'InvalidAccessKeyId':
      return ` — the endpoint does not know this access key (${keys})`;
    case 'SignatureDoesNotMatch':
      return ' — the secret key does not belong to the access key, or objectStore.region is not the one the store signs for';
    case 'AccessDenied':
      return ' — the key may not list, write or delete under this bucket and prefix';
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IncorrectEndpoint':
      return ' — objectStore.region or objectStore.endpoint does not match where the bucket is';
    case 'CredentialsProviderError':
      return ` — no credentials found: set ${keys} and the secret, or an AWS profile`;
    default:
      return /^E[A-Z]+$|TimeoutError/.test(code)
        ? ' — the endpoint cannot be reached from here (address, port, TLS, firewall)'
        : '';
  }
}
