import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * TC3-HMAC-SHA256, the cloud's API 3.0 signature, checked on the server side. Pure: the
 * request, the secret lookup and the clock come in as arguments.
 *
 * What the SDKs actually send (and this accepts):
 * - the Node.js SDK signs `host` without the port and takes the service from the endpoint's
 *   first label (`127` for `127.0.0.1:3000`); the Go and Python SDKs sign `host` with the port
 *   and the service `cbs`. So the host is checked as sent and, if it carries a port, without
 *   it; the service is taken from the credential scope and must be `cbs` or the host's first
 *   label.
 * - `SignedHeaders` is at least `content-type;host` (newer signers add `x-tc-action`); header
 *   values are trimmed and lower-cased, as the protocol's canonical form says.
 * - a GET signs its query string as sent; the body of a POST is hashed byte for byte.
 * - no nonce: the same request within the same second carries the same signature, and an
 *   unsigned X-TC-Action can be changed without breaking it. Checking that a signature was
 *   not used before is the caller's part (see signature-reuse.ts).
 */

export interface SignedRequest {
  method: string;
  /** The path without the query (`/`). */
  path: string;
  /** The raw query string, without `?`, exactly as received. */
  query: string;
  /** Node's lower-cased request headers. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Tc3FailureCode =
  | 'AuthFailure.InvalidAuthorization'
  | 'AuthFailure.SecretIdNotFound'
  | 'AuthFailure.SignatureExpire'
  | 'AuthFailure.SignatureFailure'
  | 'MissingParameter'
  | 'InvalidParameterValue';

export type Tc3Verdict<C> =
  | {
      ok: true;
      credential: C;
      service: string;
      /** The signature, lower-case hex: the key under which its uses are counted. */
      signature: string;
      /** X-TC-Timestamp (Unix seconds): the signature is good until `signatureWindowSeconds` after it. */
      timestamp: number;
    }
  | { ok: false; code: Tc3FailureCode; message: string };

/** The cloud refuses a timestamp more than five minutes away from its clock, either way. */
export const signatureWindowSeconds = 300;
export const acceptedService = 'cbs';

const authorizationPattern =
  /^TC3-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request\s*,\s*SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*)\s*,\s*Signature=([0-9a-fA-F]{64})$/;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();

/** `YYYY-MM-DD` in UTC, the credential scope's date. */
export const scopeDate = (timestamp: number) =>
  new Date(timestamp * 1000).toISOString().slice(0, 10);

const headerValue = (headers: SignedRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** The host as sent and, when it carries a port, without it (IPv6 literals included). */
const hostCandidates = (host: string): string[] => {
  const match = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(host);
  return match ? [host, match[1]!] : [host];
};

/** The signing key: HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request"). */
export function signingKey(secretKey: string, date: string, service: string): Buffer {
  return hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
}

export function canonicalRequest(
  request: SignedRequest,
  signedHeaders: string[],
  values: Record<string, string>,
): string {
  const headers = signedHeaders.map((name) => `${name}:${values[name]}\n`).join('');
  return [
    request.method.toUpperCase(),
    request.path,
    request.query,
    headers,
    signedHeaders.join(';'),
    sha256Hex(request.body),
  ].join('\n');
}

export function stringToSign(timestamp: string, scope: string, canonical: string): string {
  return ['TC3-HMAC-SHA256', timestamp, scope, sha256Hex(canonical)].join('\n');
}

const refuse = (code: Tc3FailureCode, message: string) => ({ ok: false as const, code, message });

/**
 * Checks a request's signature. `lookup` finds a credential by SecretId; `now` is the
 * server's clock in seconds. The signature is compared in constant time.
 */
export function verifyTc3<C extends { secretKey: string }>(
  request: SignedRequest,
  lookup: (secretId: string) => C | undefined,
  now: number,
): Tc3Verdict<C> {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization)
    return refuse(
      'AuthFailure.InvalidAuthorization',
      'the request has no Authorization header; sign it with TC3-HMAC-SHA256',
    );
  const parsed = authorizationPattern.exec(authorization.trim());
  if (!parsed)
    return refuse(
      'AuthFailure.InvalidAuthorization',
      'Authorization must be "TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=<headers>, Signature=<hex>"',
    );
  const [, secretId, date, service, signedHeaderList, signature] = parsed as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  const timestampHeader = headerValue(request.headers, 'x-tc-timestamp');
  if (timestampHeader === undefined)
    return refuse('MissingParameter', 'the request has no X-TC-Timestamp header');
  if (!/^\d{1,12}$/.test(timestampHeader))
    return refuse('InvalidParameterValue', 'X-TC-Timestamp must be a Unix time in seconds');
  const timestamp = Number(timestampHeader);
  if (Math.abs(now - timestamp) > signatureWindowSeconds)
    return refuse(
      'AuthFailure.SignatureExpire',
      `the signature has expired: X-TC-Timestamp ${timestamp} is more than ${signatureWindowSeconds} s away from the server's time ${now}`,
    );

  const credential = lookup(secretId);
  if (!credential) return refuse('AuthFailure.SecretIdNotFound', 'the SecretId is not known');

  if (date !== scopeDate(timestamp))
    return refuse(
      'AuthFailure.SignatureFailure',
      `the credential scope's date ${date} is not the UTC date of X-TC-Timestamp (${scopeDate(timestamp)})`,
    );
  const host = headerValue(request.headers, 'host') ?? '';
  const endpointLabel = host.split('.')[0];
  if (service !== acceptedService && service !== endpointLabel)
    return refuse(
      'AuthFailure.SignatureFailure',
      `the credential scope names the service ${service}; sign for ${acceptedService}`,
    );

  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['content-type', 'host'])
    if (!signedHeaders.includes(required))
      return refuse('AuthFailure.InvalidAuthorization', `SignedHeaders must include ${required}`);
  const values: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined)
      return refuse('AuthFailure.InvalidAuthorization', `the signed header ${name} is missing`);
    values[name] = value.trim().toLowerCase();
  }
  if (headerValue(request.headers, 'x-tc-content-sha256') === 'UNSIGNED-PAYLOAD')
    return refuse(
      'AuthFailure.InvalidAuthorization',
      'unsigned payloads are not accepted; sign the body',
    );

  const key = signingKey(credential.secretKey, date, service);
  const scope = `${date}/${service}/tc3_request`;
  const presented = Buffer.from(signature.toLowerCase(), 'hex');
  let matched = false;
  for (const candidate of hostCandidates(values['host']!)) {
    const canonical = canonicalRequest(request, signedHeaders, { ...values, host: candidate });
    const expected = hmac(key, stringToSign(timestampHeader, scope, canonical));
    // Every candidate is compared (no short cut), each in constant time.
    matched = timingSafeEqual(expected, presented) || matched;
  }
  if (!matched)
    return refuse(
      'AuthFailure.SignatureFailure',
      'the signature does not match the request; check the SecretKey and what was signed',
    );
  return { ok: true, credential, service, signature: signature.toLowerCase(), timestamp };
}
