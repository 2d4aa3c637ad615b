import { ErrorCodes } from '@snapferry/domain';
import { statusOf } from './error-codes';

/** The rules the table was written from (PRODUCT.md's error codes): a family's status, a few exceptions. */
function documentedStatus(code: string): number {
  if (code.startsWith('AuthFailure')) return 401;
  if (code.startsWith('UnauthorizedOperation')) return 403;
  if (code.startsWith('ResourceNotFound')) return 404;
  if (code.startsWith('LimitExceeded') || code.startsWith('RequestLimitExceeded')) return 429;
  if (code.startsWith('RequestTimeout')) return 408;
  if (code === 'UnsupportedOperation.SystemDiskSnapshot') return 400;
  if (code === 'UnsupportedOperation.SnapshotDataTooLarge') return 413;
  if (code.startsWith('UnsupportedOperation') || code.startsWith('FailedOperation')) return 409;
  if (code.startsWith('InvalidParameter') || code.startsWith('MissingParameter')) return 400;
  if (code === 'ServiceUnavailable') return 503;
  return 500;
}

describe('the error table', () => {
  it('answers each domain code with its documented status', () => {
    for (const code of ErrorCodes)
      expect([code, statusOf(code)]).toEqual([code, documentedStatus(code)]);
  });

  it('answers the HTTP-level codes outside the table by their family', () => {
    for (const code of [
      'InvalidParameter.MalformedJson',
      'InvalidParameter.BodyTooLarge',
      'ResourceNotFound.Region',
      'RequestLimitExceeded.KeyRateLimit',
      'RequestTimeout.BodyTooSlow',
      'UnsupportedOperation.Method',
      'FailedOperation.ChunksMissing',
      'Whatever.Else',
    ])
      expect([code, statusOf(code)]).toEqual([code, documentedStatus(code)]);
  });
});
