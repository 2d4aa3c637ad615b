import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How the regions authenticate each other's store calls: an HMAC-SHA256 over the method, the
 * path (with its query), a timestamp and the body's SHA-256, with the shared secret
 * SNAPFERRY_REGION_SECRET. A request more than five minutes off is refused, so a captured
 * request cannot be replayed later; the body digest binds the signature to the bytes (for a
 * chunk it is the chunk's own digest, which the store verifies anyway).
 */
export const REGION_AUTH_SCHEME = 'Snapferry-HMAC-SHA256';
export const REGION_DATE_HEADER = 'x-snapferry-date';
export const REGION_CONTENT_HEADER = 'x-snapferry-content-sha256';
export const REGION_CLOCK_SKEW_MS = 5 * 60 * 1000;

export const EMPTY_SHA256 = createHash('sha256').digest('hex');

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/store/ap-shanghai/chunks/ab…`. */
  path: string;
  /** Hex SHA-256 of the body (EMPTY_SHA256 for none). */
  contentSha256: string;
}

const stringToSign = (request: SignedRequest, date: string): string =>
  [
    REGION_AUTH_SCHEME,
    request.method.toUpperCase(),
    request.path,
    date,
    request.contentSha256,
  ].join('\n');

const signature = (secret: string, request: SignedRequest, date: string): string =>
  createHmac('sha256', secret).update(stringToSign(request, date)).digest('hex');

/** The headers that authenticate `request` at `nowMs`. */
export function signRegionRequest(
  secret: string,
  request: SignedRequest,
  nowMs = Date.now(),
): Record<string, string> {
  const date = String(nowMs);
  return {
    authorization: `${REGION_AUTH_SCHEME} Signature=${signature(secret, request, date)}`,
    [REGION_DATE_HEADER]: date,
    [REGION_CONTENT_HEADER]: request.contentSha256,
  };
}

export type RegionAuthVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a request's headers (lower-case names). The caller still has to check that the body
 * it reads hashes to the declared `x-snapferry-content-sha256`.
 */
export function verifyRegionRequest(
  secret: string,
  request: Omit<SignedRequest, 'contentSha256'>,
  headers: Record<string, string | string[] | undefined>,
  nowMs = Date.now(),
): RegionAuthVerdict & { contentSha256?: string } {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const match = new RegExp(`^${REGION_AUTH_SCHEME} Signature=([0-9a-f]{64})$`).exec(
    one('authorization') ?? '',
  );
  if (!match) return { ok: false, reason: `no ${REGION_AUTH_SCHEME} signature` };
  const date = one(REGION_DATE_HEADER) ?? '';
  if (!/^\d{1,15}$/.test(date)) return { ok: false, reason: `no valid ${REGION_DATE_HEADER}` };
  if (Math.abs(nowMs - Number(date)) > REGION_CLOCK_SKEW_MS)
    return { ok: false, reason: 'the request is more than 5 minutes off this clock' };
  const contentSha256 = one(REGION_CONTENT_HEADER) ?? '';
  if (!/^[0-9a-f]{64}$/.test(contentSha256))
    return { ok: false, reason: `no valid ${REGION_CONTENT_HEADER}` };
  const expected = Buffer.from(signature(secret, { ...request, contentSha256 }, date), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[1]!, 'hex')))
    return {
      ok: false,
      reason: 'the signature does not match (a different SNAPFERRY_REGION_SECRET?)',
    };
  return { ok: true, contentSha256 };
}
