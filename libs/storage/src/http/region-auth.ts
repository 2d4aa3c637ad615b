import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How the regions authenticate each other's store calls: an HMAC-SHA256 over the method, the
 * path (with its query), a timestamp, a random nonce and the body's SHA-256, with the shared
 * secret SNAPFERRY_REGION_SECRET. A request more than five minutes off is refused, so a captured
 * request cannot be replayed later; the store also refuses a signature it has seen before
 * (see the replicator's store-signatures), and the nonce makes two identical legitimate calls
 * in the same millisecond sign differently. The body digest binds the signature to the bytes
 * (for a chunk it is the chunk's own digest, which the store verifies anyway).
 */
export const REGION_AUTH_SCHEME = 'Snapferry-HMAC-SHA256';
export const REGION_DATE_HEADER = 'x-snapferry-date';
export const REGION_NONCE_HEADER = 'x-snapferry-nonce';
export const REGION_CONTENT_HEADER = 'x-snapferry-content-sha256';
export const REGION_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** The store's code (401) for a signature it has seen before. */
export const REGION_SIGNATURE_REPLAYED = 'AuthFailure.SignatureReplayed';

export const EMPTY_SHA256 = createHash('sha256').digest('hex');

const noncePattern = /^[0-9a-f]{32}$/;

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/store/ap-shanghai/chunks/ab…`. */
  path: string;
  /** Hex SHA-256 of the body (EMPTY_SHA256 for none). */
  contentSha256: string;
}

const stringToSign = (request: SignedRequest, date: string, nonce: string): string =>
  [
    REGION_AUTH_SCHEME,
    request.method.toUpperCase(),
    request.path,
    date,
    nonce,
    request.contentSha256,
  ].join('\n');

const signature = (secret: string, request: SignedRequest, date: string, nonce: string): string =>
  createHmac('sha256', secret)
    .update(stringToSign(request, date, nonce))
    .digest('hex');

/** The headers that authenticate `request` at `nowMs`: a new nonce each call, so sign every attempt anew. */
export function signRegionRequest(
  secret: string,
  request: SignedRequest,
  nowMs = Date.now(),
  nonce = randomBytes(16).toString('hex'),
): Record<string, string> {
  const date = String(nowMs);
  return {
    authorization: `${REGION_AUTH_SCHEME} Signature=${signature(secret, request, date, nonce)}`,
    [REGION_DATE_HEADER]: date,
    [REGION_NONCE_HEADER]: nonce,
    [REGION_CONTENT_HEADER]: request.contentSha256,
  };
}

export type RegionAuthVerdict =
  | {
      ok: true;
      contentSha256: string;
      /** The signature (lower-case hex), for the store to refuse a second use of it. */
      signature: string;
      /** The signed time (Unix ms): the signature is good until 5 minutes after it. */
      dateMs: number;
    }
  | { ok: false; reason: string };

/**
 * Checks a request's headers (lower-case names). The caller still has to check that the body
 * it reads hashes to the declared `x-snapferry-content-sha256`, and that the signature was not
 * used before.
 */
export function verifyRegionRequest(
  secret: string,
  request: Omit<SignedRequest, 'contentSha256'>,
  headers: Record<string, string | string[] | undefined>,
  nowMs = Date.now(),
): RegionAuthVerdict {
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
  const nonce = one(REGION_NONCE_HEADER) ?? '';
  if (!noncePattern.test(nonce))
    return { ok: false, reason: `no valid ${REGION_NONCE_HEADER} (32 hex digits)` };
  const contentSha256 = one(REGION_CONTENT_HEADER) ?? '';
  if (!/^[0-9a-f]{64}$/.test(contentSha256))
    return { ok: false, reason: `no valid ${REGION_CONTENT_HEADER}` };
  const presented = match[1]!;
  const expected = signature(secret, { ...request, contentSha256 }, date, nonce);
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(presented, 'hex')))
    return {
      ok: false,
      reason: 'the signature does not match (a different SNAPFERRY_REGION_SECRET?)',
    };
  return { ok: true, contentSha256, signature: presented, dateMs: Number(date) };
}
