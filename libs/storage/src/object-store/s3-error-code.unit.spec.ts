import { ObjectStoreUnusableError } from './object-store-errors';
import { s3Failure } from './s3-error-code';

/** An S3 error as the SDK throws it (S3ServiceException's fields). */
const s3Error = (name: string, status: number, message = 'UnknownError', Code?: string) =>
  Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    ...(Code ? { Code } : {}),
  });

describe('s3Failure', () => {
  it.each([
    [
      'a named S3 error',
      s3Error('NoSuchBucket', 404, 'UnknownError', 'NoSuchBucket'),
      'NoSuchBucket',
      404,
      'NoSuchBucket',
    ],
    [
      'a named error with its own words',
      s3Error('AccessDenied', 403, 'Access Denied', 'AccessDenied'),
      'AccessDenied',
      403,
      'Access Denied',
    ],
    ["a HEAD's bodiless 404", s3Error('NotFound', 404), 'NotFound', 404, 'NotFound'],
    ["a HEAD's bodiless 403", s3Error('Unknown', 403), 'AccessDenied', 403, 'AccessDenied'],
    ['an unnamed 503', s3Error('Unknown', 503), 'HTTP503', 503, 'HTTP503'],
  ])('reads %s', (_, error, code, httpStatus, detail) => {
    expect(s3Failure(error)).toEqual({ code, httpStatus, detail });
  });

  it.each([
    [
      'a Node network error',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
    [
      'a DNS failure',
      Object.assign(new Error('getaddrinfo ENOTFOUND x.invalid'), { code: 'ENOTFOUND' }),
      'ENOTFOUND',
    ],
    [
      'an error with the code in its cause',
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      'ECONNRESET',
    ],
    [
      "the SDK's wrapper of an error of another realm",
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'),
      'ECONNREFUSED',
    ],
    [
      // A connection reset is named TimeoutError by the SDK's HTTP handler; wrapped, only the
      // name is left to tell it is the network's.
      "the SDK's wrapper of a reset connection of another realm",
      new Error('AWS SDK error wrapper for TimeoutError: socket hang up'),
      'TimeoutError',
    ],
    [
      "the SDK's timeout",
      Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
      'TimeoutError',
    ],
    [
      'missing credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      'CredentialsProviderError',
    ],
    ['anything else', new Error('boom'), 'Error'],
  ])('reads %s', (_, error, code) => {
    expect(s3Failure(error).code).toBe(code);
    expect(s3Failure(error).httpStatus).toBeUndefined();
  });
});

describe('ObjectStoreUnusableError', () => {
  const problem = {
    region: 'eu-paris',
    endpoint: 'http://10.0.0.5:7480',
    bucket: 'snapferry',
    prefix: 'dr/',
    operation: 'ListObjectsV2',
  };

  it('names the region, endpoint, bucket, prefix, call, code and status, with a hint', () => {
    const error = new ObjectStoreUnusableError({
      ...problem,
      s3Code: 'InvalidAccessKeyId',
      httpStatus: 403,
      detail: 'InvalidAccessKeyId',
    });
    expect(error.message).toBe(
      'region eu-paris: object store unusable: ListObjectsV2 on bucket "snapferry" (prefix "dr/") at http://10.0.0.5:7480 failed with InvalidAccessKeyId (HTTP 403): InvalidAccessKeyId — the endpoint does not know this access key (SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS / AWS_ACCESS_KEY_ID)',
    );
    expect(error.code).toBe('Storage.ObjectStoreUnusable');
  });

  it('says an unreachable endpoint is a network matter', () => {
    const error = new ObjectStoreUnusableError({
      ...problem,
      prefix: '',
      s3Code: 'ECONNREFUSED',
      detail: 'connect ECONNREFUSED 10.0.0.5:7480',
    });
    expect(error.message).toContain(
      'on bucket "snapferry" at http://10.0.0.5:7480 failed with ECONNREFUSED: connect',
    );
    expect(error.message).toContain('cannot be reached');
  });
});
