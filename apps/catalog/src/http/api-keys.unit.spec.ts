import { createHash } from 'node:crypto';
import { parseApiKeys } from '@snapferry/platform';
import { apiKeyLookup } from './api-keys';
import { statusOf } from './error-codes';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

describe('API keys', () => {
  const lookup = apiKeyLookup(
    parseApiKeys(
      [
        'alice-key-0001=alice:user',
        'ops-key-000001=ops:operator',
        `sha256:${sha256('carol-key-0001')}=carol:user`,
        `SHA256:${sha256('ops-key-000002').toUpperCase()}=ops:operator`,
      ].join(','),
    ),
  );

  it('finds the caller of a configured key and nothing for anything else', () => {
    expect(lookup('alice-key-0001')).toEqual({ accountId: 'alice', role: 'user', keyId: 'key-1' });
    expect(lookup('ops-key-000001')).toEqual({
      accountId: 'ops',
      role: 'operator',
      keyId: 'key-2',
    });
    for (const other of ['', 'alice-key-000', 'alice-key-00011', 'ALICE-KEY-0001'])
      expect(lookup(other)).toBeUndefined();
  });

  it('finds the caller of a key configured only by its SHA-256', () => {
    expect(lookup('carol-key-0001')).toEqual({ accountId: 'carol', role: 'user', keyId: 'key-3' });
    expect(lookup('ops-key-000002')).toEqual({
      accountId: 'ops',
      role: 'operator',
      keyId: 'key-4',
    });
    // The configured digest is not itself a key.
    expect(lookup(`sha256:${sha256('carol-key-0001')}`)).toBeUndefined();
    expect(lookup(sha256('carol-key-0001'))).toBeUndefined();
    expect(lookup('carol-key-0002')).toBeUndefined();
  });
});

describe('error code to HTTP status', () => {
  it.each([
    ['AuthFailure.InvalidApiKey', 401],
    ['UnauthorizedOperation.NotInBeta', 403],
    ['ResourceNotFound.Snapshot', 404],
    ['LimitExceeded.SnapshotQuota', 429],
    ['RequestLimitExceeded.KeyRateLimit', 429],
    ['UnsupportedOperation.SystemDiskSnapshot', 400],
    ['UnsupportedOperation.SnapshotCopying', 409],
    ['InvalidParameterValue.Region', 400],
    ['InternalError', 500],
  ])('%s -> %i', (code, status) => expect(statusOf(code)).toBe(status));
});
