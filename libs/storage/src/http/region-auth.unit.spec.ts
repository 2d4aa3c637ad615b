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

describe('region request signatures', () => {
  const headers = signRegionRequest(secret, request, now);

  it('signs method, path, date and body digest with the shared secret (fixed vector)', () => {
    const expected = createHmac('sha256', secret)
      .update(`Snapferry-HMAC-SHA256\nPUT\n${request.path}\n${now}\n${'a'.repeat(64)}`)
      .digest('hex');
    expect(headers).toEqual({
      authorization: `Snapferry-HMAC-SHA256 Signature=${expected}`,
      'x-snapferry-date': String(now),
      'x-snapferry-content-sha256': 'a'.repeat(64),
    });
    expect(verifyRegionRequest(secret, request, headers, now)).toEqual({
      ok: true,
      contentSha256: 'a'.repeat(64),
    });
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
