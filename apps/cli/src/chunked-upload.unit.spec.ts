import { retryable, uploadProgressText } from './chunked-upload';
import { ApiError, UnreachableError, UsageError } from './errors';

const MiB = 1024 * 1024;

describe('uploadProgressText', () => {
  it('says how much was sent of the image and how many chunks the region already had', () => {
    const stats = {
      bytesUploaded: 12 * MiB,
      bytesSkipped: 1012 * MiB,
      chunksUploaded: 3,
      chunksSkipped: 1012,
    };
    expect(uploadProgressText(stats, 1024 * MiB)).toBe(
      'uploaded 12.0 MiB of 1.00 GiB, 1012 chunks already in the region',
    );
  });

  it('counts one chunk in the singular, and nothing sent as 0 B', () => {
    const stats = { bytesUploaded: 0, bytesSkipped: 5, chunksUploaded: 0, chunksSkipped: 1 };
    expect(uploadProgressText(stats, 5)).toBe('uploaded 0 B of 5 B, 1 chunk already in the region');
  });
});

describe('retryable', () => {
  it.each([
    [new UnreachableError('http://x', 'ECONNRESET'), true],
    [new ApiError(503, 'ServiceUnavailable', 'later'), true],
    [new ApiError(502, 'Http502', 'bad gateway'), true],
    [new ApiError(429, 'RequestLimitExceeded.UploadMemory', 'later'), true],
    [new ApiError(408, 'RequestTimeout.BodyTooSlow', 'too slow'), true],
    [new ApiError(400, 'InvalidParameter.ChunkDigestMismatch', 'no'), false],
    [new ApiError(507, 'ResourceInsufficient.StorageFull', 'full'), false],
    [new ApiError(500, 'InternalError', 'bug'), false],
    [new UsageError('bad'), false],
    [new Error('other'), false],
  ])('%s: %s', (error, expected) => expect(retryable(error)).toBe(expected));
});
