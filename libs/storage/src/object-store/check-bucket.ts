import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { ObjectStoreUnusableError } from './object-store-errors';
import type { BucketRegion } from './s3-client';
import { s3Failure } from './s3-error-code';

/** Where the write probe goes under the region's prefix (a name no data key uses). */
export const probeKeyPrefix = 'startup-probe/';

/**
 * The start-up check of a bucket-backed region: lists the prefix (the bucket exists, the keys
 * are known and may list: GC lists), then writes and deletes a tiny probe object (uploads and
 * copies write, GC deletes). Throws ObjectStoreUnusableError naming the region, endpoint,
 * bucket, the failed call and the S3 error code (or the network's), so that the service
 * serving the region refuses to start with that message.
 *
 * ListObjectsV2 rather than HeadBucket: an error answer to HEAD has no body, so the SDK
 * reports a bare 403/404 ("NotFound", "Unknown") where a GET names `NoSuchBucket`,
 * `InvalidAccessKeyId`, `SignatureDoesNotMatch` or `AccessDenied`; both need the same
 * permission (s3:ListBucket).
 */
export async function checkBucket(
  client: S3Client,
  region: BucketRegion,
  { abortSignal }: { abortSignal?: AbortSignal } = {},
): Promise<void> {
  const { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } =
    await import('@aws-sdk/client-s3');
  const { bucket, prefix } = region.objectStore;
  const probe = `${prefix}${probeKeyPrefix}${Date.now()}-${randomBytes(6).toString('hex')}`;
  const step = async (operation: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      const { code, httpStatus, detail } = s3Failure(error);
      throw new ObjectStoreUnusableError({
        region: region.id,
        endpoint: region.objectStore.endpoint,
        bucket,
        prefix,
        operation,
        s3Code: code,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        detail,
      });
    }
  };
  await step('ListObjectsV2', () =>
    client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }), {
      abortSignal,
    }),
  );
  await step('PutObject', () =>
    client.send(
      new PutObjectCommand({ Bucket: bucket, Key: probe, Body: 'snapferry start-up probe\n' }),
      { abortSignal },
    ),
  );
  await step('DeleteObject', () =>
    client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }), { abortSignal }),
  );
}
