import type { ObjectStoreConfig, Region } from './region-catalog';
import { isObject, isServiceUrl, RegionCatalogError } from './region-catalog-error';

const fields = ['endpoint', 'bucket', 'prefix', 'region', 'forcePathStyle'];
const credentialFields =
  /^(accessKeyId|secretAccessKey|sessionToken|credentials|accessKey|secretKey|secret|password)$/i;

/** S3's bucket rules (which RGW keeps by default): 3–63 of a-z 0-9 . -, alphanumeric ends. */
function bucketProblem(bucket: unknown): string | undefined {
  if (typeof bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    return 'must be an S3 bucket name: 3 to 63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit';
  if (bucket.includes('..')) return 'must not contain ".."';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'must not look like an IP address';
  return undefined;
}

/** A key prefix of S3's safe characters, `/`-separated, no empty, `.` or `..` segment. */
function prefixProblem(prefix: unknown): string | undefined {
  const problem =
    'must be a key prefix such as "snapferry/ap-guangzhou/": letters, digits and !-_.*\'() in segments separated by "/", no leading "/", no empty, "." or ".." segment, at most 512 characters';
  if (typeof prefix !== 'string' || prefix.length > 512) return problem;
  if (prefix === '') return undefined;
  if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix)) return problem;
  const segments = prefix.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return problem;
  return undefined;
}

/**
 * Validates a region's `objectStore` (at `at`, for the error) and fills in the defaults:
 * prefix '' (keys at the bucket's root), region `us-east-1`, virtual-hosted URLs. A prefix
 * gets its trailing `/`. Credentials in the file are refused: they belong in the environment.
 */
export function parseObjectStore(input: unknown, at: string): ObjectStoreConfig {
  if (!isObject(input))
    throw new RegionCatalogError(
      at,
      'must be an object {endpoint, bucket, prefix, region, forcePathStyle}',
    );
  for (const key of Object.keys(input)) {
    if (credentialFields.test(key))
      throw new RegionCatalogError(
        `${at}.${key}`,
        'credentials never go in the regions file: use the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles) or SNAPFERRY_S3_ACCESS_KEY_ID_<REGION> and SNAPFERRY_S3_SECRET_ACCESS_KEY_<REGION>',
      );
    if (!fields.includes(key))
      throw new RegionCatalogError(`${at}.${key}`, `is not a setting (${fields.join(', ')})`);
  }
  const { endpoint, bucket, prefix = '', region = 'us-east-1', forcePathStyle = false } = input;
  if (!isServiceUrl(endpoint))
    throw new RegionCatalogError(
      `${at}.endpoint`,
      'must be an http:// or https:// URL such as "https://s3.eu-central-1.amazonaws.com" (no query, no credentials)',
    );
  const badBucket = bucketProblem(bucket);
  if (badBucket) throw new RegionCatalogError(`${at}.bucket`, badBucket);
  const badPrefix = prefixProblem(prefix);
  if (badPrefix) throw new RegionCatalogError(`${at}.prefix`, badPrefix);
  if (typeof region !== 'string' || region.length > 64 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region))
    throw new RegionCatalogError(
      `${at}.region`,
      'must be the region requests are signed for, such as "us-east-1" or "eu-central-1"',
    );
  if (typeof forcePathStyle !== 'boolean')
    throw new RegionCatalogError(`${at}.forcePathStyle`, 'must be true or false');
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    bucket: bucket as string,
    prefix:
      prefix === '' || (prefix as string).endsWith('/')
        ? (prefix as string)
        : `${prefix as string}/`,
    region,
    forcePathStyle,
  };
}

/** The endpoint as one spelling (host case, default port, trailing slash). */
const sameEndpoint = (a: string, b: string) => new URL(a).href === new URL(b).href;

/**
 * The first region whose bucket keys overlap an earlier region's (same endpoint and bucket, one
 * prefix the start of the other): two regions writing, listing and collecting the same keys.
 */
export function sharedObjectStore(
  regions: readonly Region[],
): { index: number; other: string } | undefined {
  for (const [index, region] of regions.entries()) {
    const mine = region.objectStore;
    if (!mine) continue;
    for (const [otherIndex, other] of regions.slice(0, index).entries()) {
      const theirs = other.objectStore;
      if (
        theirs &&
        sameEndpoint(mine.endpoint, theirs.endpoint) &&
        mine.bucket === theirs.bucket &&
        (mine.prefix.startsWith(theirs.prefix) || theirs.prefix.startsWith(mine.prefix))
      )
        return { index, other: `regions[${otherIndex}] ("${other.id}")` };
    }
  }
  return undefined;
}
