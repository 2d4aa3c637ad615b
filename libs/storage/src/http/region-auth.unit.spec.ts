import { createHmac } from 'node:crypto';
import {
  EMPTY_SHA256,
  REGION_CLOCK_SKEW_MS,
  signRegionRequest,
  verifyRegionRequest,
} from './region-auth';

const secret = 'region-secret-0001';
const request = {
  method: 'PUT',
  path: '/v1/store/ap-shanghai/chunks/' + 'a'.repeat(64),
  contentSha256: 'a'.repeat(64),
};
const now = 1_780_000_000_000;
const nonce = '0123456789abcdef'.repeat(2);

describe('region request signatures', () => {
  const headers = signRegionRequest(secret, request, now, nonce);

  it('signs method, path, date, nonce and body digest with the shared secret (fixed vector)', () => {
    const expected = createHmac('sha256', secret)
      .update(`Snapferry-HMAC-SHA256\nPUT\n${request.path}\n${now}\n${nonce}\n${'a'.repeat(64)}`)
      .digest('hex');
    expect(headers).toEqual({
      authorization: `Snapferry-HMAC-SHA256 Signature=${expected}`,
      'x-snapferry-date': String(now),
      'x-snapferry-nonce': nonce,
      'x-snapferry-content-sha256': 'a'.repeat(64),
    });
    expect(verifyRegionRequest(secret, request, headers, now)).toEqual({
      ok: true,
      contentSha256: 'a'.repeat(64),
      signature: expected,
      dateMs: now,
    });
  });

  it('signs two identical calls in the same millisecond differently (a new nonce each call)', () => {
    const first = signRegionRequest(secret, request, now);
    const second = signRegionRequest(secret, request, now);
    expect(first['x-snapferry-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(second['x-snapferry-nonce']).not.toBe(first['x-snapferry-nonce']);
    expect(second['authorization']).not.toBe(first['authorization']);
    expect(verifyRegionRequest(secret, request, first, now).ok).toBe(true);
    expect(verifyRegionRequest(secret, request, second, now).ok).toBe(true);
  });

  it.each([
    ['another secret', () => verifyRegionRequest('other-secret', request, headers, now)],
    [
      'another path',
      () =>
        verifyRegionRequest(
          secret,
          { ...request, path: '/v1/store/ap-shanghai/chunks/' + 'b'.repeat(64) },
          headers,
          now,
        ),
    ],
    [
      'another method',
      () => verifyRegionRequest(secret, { ...request, method: 'DELETE' }, headers, now),
    ],
    [
      'another body',
      () =>
        verifyRegionRequest(
          secret,
          request,
          { ...headers, 'x-snapferry-content-sha256': EMPTY_SHA256 },
          now,
        ),
    ],
    [
      'another nonce',
      () =>
        verifyRegionRequest(
          secret,
          request,
          { ...headers, 'x-snapferry-nonce': 'f'.repeat(32) },
          now,
        ),
    ],
    [
      'no nonce',
      () =>
        verifyRegionRequest(secret, request, { ...headers, 'x-snapferry-nonce': undefined }, now),
    ],
    [
      'a stale date',
      () => verifyRegionRequest(secret, request, headers, now + REGION_CLOCK_SKEW_MS + 1),
    ],
    [
      'a future date',
      () => verifyRegionRequest(secret, request, headers, now - REGION_CLOCK_SKEW_MS - 1),
    ],
    [
      'no signature',
      () => verifyRegionRequest(secret, request, { ...headers, authorization: undefined }, now),
    ],
    [
      'a bearer API key',
      () =>
        verifyRegionRequest(
          secret,
          request,
          { ...headers, authorization: 'Bearer dev-operator-key' },
          now,
        ),
    ],
  ])('refuses %s', (_, verdict) => {
    expect(verdict()).toMatchObject({ ok: false, reason: expect.any(String) });
  });

  it('accepts the edges of the five-minute window', () => {
    expect(verifyRegionRequest(secret, request, headers, now + REGION_CLOCK_SKEW_MS).ok).toBe(true);
    expect(verifyRegionRequest(secret, request, headers, now - REGION_CLOCK_SKEW_MS).ok).toBe(true);
  });
});
