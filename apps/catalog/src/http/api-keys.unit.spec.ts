import { apiKeyLookup } from './api-keys';
import { statusOf } from './api-error';

describe('API keys', () => {
  const lookup = apiKeyLookup([
    { key: 'alice-key-0001', accountId: 'alice', role: 'user' },
    { key: 'ops-key-000001', accountId: 'ops', role: 'operator' },
  ]);

  it('finds the caller of a configured key and nothing for anything else', () => {
    expect(lookup('alice-key-0001')).toEqual({ accountId: 'alice', role: 'user' });
    expect(lookup('ops-key-000001')).toEqual({ accountId: 'ops', role: 'operator' });
    for (const other of ['', 'alice-key-000', 'alice-key-00011', 'ALICE-KEY-0001'])
      expect(lookup(other)).toBeUndefined();
  });
});

describe('error code to HTTP status', () => {
  it.each([
    ['AuthFailure.InvalidApiKey', 401],
    ['UnauthorizedOperation.NotInBeta', 403],
    ['ResourceNotFound.Snapshot', 404],
    ['LimitExceeded.SnapshotQuota', 429],
    ['UnsupportedOperation.SystemDiskSnapshot', 400],
    ['UnsupportedOperation.SnapshotCopying', 409],
    ['InvalidParameterValue.Region', 400],
    ['InternalError', 500],
  ])('%s -> %i', (code, status) => expect(statusOf(code)).toBe(status));
});
