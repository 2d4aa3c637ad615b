import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStoreConfig } from '@snapferry/domain';
import { regionCredentials } from './region-credentials';

/** A region that keeps its data in a bucket. */
export interface BucketRegion {
  id: string;
  objectStore: ObjectStoreConfig;
}

export interface S3ClientOptions {
  /** Tries per call, the first included, with the SDK's backoff (default 5). */
  maxAttempts?: number;
  /** Giving up on a TCP/TLS connect (default 5 s). */
  connectionTimeoutMs?: number;
  /** Giving up on a socket silent this long mid-request (default 30 s). */
  socketTimeoutMs?: number;
  /** Connections kept per endpoint (default 64). */
  maxSockets?: number;
}

/**
 * The S3 client of a bucket-backed region: its endpoint, signing region and URL style from the
 * regions file; its own keys from `SNAPFERRY_S3_*_<REGION>` or else the AWS SDK's standard chain.
 *
 * - Checksums only where an operation requires one (`WHEN_REQUIRED`): with the SDK's default a
 *   stream body goes out as aws-chunked with a trailer, which Ceph RGW 16.2 refuses (411
 *   MissingContentLength), and RGW 16.2 ignores `x-amz-checksum-*` anyway. Integrity comes from
 *   the signed payload hash instead (see `signPayloadAs`).
 * - Retries: the SDK's standard strategy (exponential backoff with jitter; throttling such as
 *   503 SlowDown waits longer; 5xx, timeouts, ECONNRESET/ECONNREFUSED retried; a retry quota
 *   stops retry storms).
 * - Timeouts: connect and socket idle bounded; no total limit (a throttled 4 MiB chunk takes as
 *   long as the bandwidth limit says).
 *
 * Async because the SDK is loaded on first use: ~0.5 s of start-up that everything else
 * importing @snapferry/storage (the CLI above all) must not pay.
 */
export async function createS3Client(
  region: BucketRegion,
  env: NodeJS.ProcessEnv = process.env,
  options: S3ClientOptions = {},
): Promise<S3Client> {
  const { endpoint, region: signingRegion, forcePathStyle } = region.objectStore;
  const credentials = regionCredentials(region.id, env);
  const agent = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  // We pin an SDK release that supports Node.js 20 (package.json); its notice that later
  // releases will not would otherwise go to every service's stderr at the first call.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    endpoint,
    region: signingRegion,
    forcePathStyle,
    ...(credentials ? { credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 5,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
      httpAgent: agent,
      httpsAgent: agent,
    },
  });
}
