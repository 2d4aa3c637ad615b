import fc from 'fast-check';
import Sign from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign';
import { type SignedRequest, verifyTc3 } from './tc3-signature';

/**
 * Vectors computed independently of the verifier: the cloud's published documentation
 * example, the official Node.js SDK's own signer (`Sign.sign3`, called live), and fixed
 * signatures computed once the way the Go and Python SDKs sign (host with port, service `cbs`).
 */

interface Credential {
  secretKey: string;
  accountId: string;
}
const credentials = new Map<string, Credential>([
  [
    'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
    { secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******', accountId: 'doc' },
  ],
  ['node-sdk-id', { secretKey: 'node-sdk-secret-key', accountId: 'alice' }],
  ['go-style-id', { secretKey: 'go-style-secret-key', accountId: 'bob' }],
]);
const lookup = (id: string) => credentials.get(id);

const request = (over: Partial<SignedRequest> & { headers: SignedRequest['headers'] }) => ({
  method: 'POST',
  path: '/',
  query: '',
  body: Buffer.alloc(0),
  ...over,
});

// The documentation's example: DescribeInstances on cvm, 2019-02-25.
const docTimestamp = 1551113065;
const docRequest = request({
  body: Buffer.from(
    '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
  ),
  headers: {
    host: 'cvm.tencentcloudapi.com',
    'content-type': 'application/json; charset=utf-8',
    'x-tc-timestamp': String(docTimestamp),
    authorization:
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
  },
});

// Signed as the Go SDK signs: host with its port, service cbs (signature computed once, offline).
const goTimestamp = 1767225600; // 2026-01-01T00:00:00Z
const goRequest = request({
  body: Buffer.from('{"SnapshotId":"snap-src00001","DestinationRegions":["ap-shanghai"]}'),
  headers: {
    host: '127.0.0.1:3000',
    'content-type': 'application/json',
    'x-tc-timestamp': String(goTimestamp),
    'x-tc-action': 'CopySnapshotCrossRegions',
    authorization:
      'TC3-HMAC-SHA256 Credential=go-style-id/2026-01-01/cbs/tc3_request, SignedHeaders=content-type;host, Signature=3f29e6ca4fc3a1a653a13b59865e272d58d6167de446f775173c0f2c15941f3e',
  },
});

// Signed as newer signers do: x-tc-action among the signed headers (its value lower-cased).
const actionSignedRequest = request({
  body: Buffer.from('{}'),
  headers: {
    host: '127.0.0.1:3000',
    'content-type': 'application/json; charset=utf-8',
    'x-tc-timestamp': String(goTimestamp),
    'x-tc-action': 'DescribeSnapshots',
    authorization:
      'TC3-HMAC-SHA256 Credential=go-style-id/2026-01-01/cbs/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=433584fb0e531700be24422ea2632813da8136c893d94ccc4ac34f5d4992dec8',
  },
});

/** Signs with the official Node.js SDK's signer, as its client does for `http://<endpoint>/`. */
function nodeSdkRequest(
  method: 'POST' | 'GET',
  { endpoint = '127.0.0.1:3000', timestamp = goTimestamp, payload = { Limit: 10 } } = {},
): SignedRequest {
  const query = method === 'GET' ? 'SnapshotIds.0=snap-abc12345&Limit=10' : '';
  const contentType = method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json';
  const authorization = Sign.sign3({
    method,
    url: `http://${endpoint}/${query ? `?${query}` : ''}`,
    payload: method === 'POST' ? payload : '',
    timestamp,
    service: endpoint.split('.')[0]!,
    secretId: 'node-sdk-id',
    secretKey: 'node-sdk-secret-key',
    multipart: false,
    boundary: '',
    headers: { 'Content-Type': contentType },
  });
  return request({
    method,
    query,
    body: method === 'POST' ? Buffer.from(JSON.stringify(payload)) : Buffer.alloc(0),
    headers: {
      host: endpoint,
      'content-type': contentType,
      'x-tc-timestamp': String(timestamp),
      authorization,
    },
  });
}

const accepted = (req: SignedRequest, now: number) => {
  const verdict = verifyTc3(req, lookup, now);
  if (!verdict.ok) throw new Error(`refused: ${verdict.code} ${verdict.message}`);
  return verdict;
};
const refusedWith = (req: SignedRequest, now: number) => {
  const verdict = verifyTc3(req, lookup, now);
  return verdict.ok ? 'accepted' : verdict.code;
};
const withHeaders = (req: SignedRequest, headers: SignedRequest['headers']) => ({
  ...req,
  headers: { ...req.headers, ...headers },
});

describe('TC3-HMAC-SHA256 verification', () => {
  it("accepts the cloud documentation's published example", () => {
    expect(accepted(docRequest, docTimestamp)).toMatchObject({
      service: 'cvm',
      credential: { accountId: 'doc' },
    });
  });

  it('accepts what the Node.js SDK signs: host without port, service from the endpoint', () => {
    expect(accepted(nodeSdkRequest('POST'), goTimestamp)).toMatchObject({
      service: '127',
      credential: { accountId: 'alice' },
    });
    const named = nodeSdkRequest('POST', { endpoint: 'snapferry.internal:8443' });
    expect(accepted(named, goTimestamp).service).toBe('snapferry');
  });

  it('accepts a GET whose parameters are in the signed query string', () => {
    const get = nodeSdkRequest('GET');
    expect(accepted(get, goTimestamp).credential.accountId).toBe('alice');
    expect(
      refusedWith({ ...get, query: 'SnapshotIds.0=snap-abc12345&Limit=11' }, goTimestamp),
    ).toBe('AuthFailure.SignatureFailure');
  });

  it('accepts what the Go and Python SDKs sign: host with port, service cbs', () => {
    expect(accepted(goRequest, goTimestamp)).toMatchObject({
      service: 'cbs',
      credential: { accountId: 'bob' },
    });
    expect(accepted(actionSignedRequest, goTimestamp).service).toBe('cbs');
  });

  it('names the signature (lower-case hex, however it was written) and its timestamp, for counting its uses', () => {
    const signature = '3f29e6ca4fc3a1a653a13b59865e272d58d6167de446f775173c0f2c15941f3e';
    expect(accepted(goRequest, goTimestamp)).toMatchObject({ signature, timestamp: goTimestamp });
    const upperCase = withHeaders(goRequest, {
      authorization: String(goRequest.headers['authorization']).replace(
        signature,
        signature.toUpperCase(),
      ),
    });
    expect(accepted(upperCase, goTimestamp).signature).toBe(signature);
  });

  it('refuses a tampered body, header or host', () => {
    const tampered = Buffer.from(goRequest.body);
    tampered[tampered.length - 3] = 'X'.charCodeAt(0);
    expect(refusedWith({ ...goRequest, body: tampered }, goTimestamp)).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(refusedWith(withHeaders(goRequest, { 'content-type': 'text/plain' }), goTimestamp)).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(refusedWith(withHeaders(goRequest, { host: '127.0.0.1:3001' }), goTimestamp)).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(
      refusedWith(
        withHeaders(actionSignedRequest, { 'x-tc-action': 'DeleteSnapshots' }),
        goTimestamp,
      ),
    ).toBe('AuthFailure.SignatureFailure');
    expect(refusedWith({ ...goRequest, method: 'GET' }, goTimestamp)).toBe(
      'AuthFailure.SignatureFailure',
    );
  });

  it('refuses any change of any single body byte', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: goRequest.body.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, delta) => {
          const body = Buffer.from(goRequest.body);
          body[index] = (body[index]! + delta) % 256;
          expect(refusedWith({ ...goRequest, body }, goTimestamp)).toBe(
            'AuthFailure.SignatureFailure',
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('allows five minutes of clock difference either way, not one second more', () => {
    expect(accepted(goRequest, goTimestamp + 300).service).toBe('cbs');
    expect(accepted(goRequest, goTimestamp - 300).service).toBe('cbs');
    expect(refusedWith(goRequest, goTimestamp + 301)).toBe('AuthFailure.SignatureExpire');
    expect(refusedWith(goRequest, goTimestamp - 301)).toBe('AuthFailure.SignatureExpire');
  });

  it('refuses a wrong key and an unknown SecretId', () => {
    credentials.set('rotated-id', { secretKey: 'not-the-signing-key', accountId: 'bob' });
    const wrongKey = withHeaders(goRequest, {
      authorization: String(goRequest.headers['authorization']).replace(
        'go-style-id',
        'rotated-id',
      ),
    });
    expect(refusedWith(wrongKey, goTimestamp)).toBe('AuthFailure.SignatureFailure');
    const unknown = withHeaders(goRequest, {
      authorization: String(goRequest.headers['authorization']).replace('go-style-id', 'nobody'),
    });
    expect(refusedWith(unknown, goTimestamp)).toBe('AuthFailure.SecretIdNotFound');
  });

  it('refuses what is not a TC3 signature, or signs too little', () => {
    const auth = String(goRequest.headers['authorization']);
    const cases: [SignedRequest['headers'], string][] = [
      [{ authorization: undefined }, 'AuthFailure.InvalidAuthorization'],
      [{ authorization: 'Bearer dev-operator-key' }, 'AuthFailure.InvalidAuthorization'],
      [
        { authorization: auth.replace('Signature=3f', 'Signature=zz') },
        'AuthFailure.InvalidAuthorization',
      ],
      [
        { authorization: auth.replace('content-type;host', 'host') },
        'AuthFailure.InvalidAuthorization',
      ],
      [
        { authorization: auth.replace('content-type;host', 'content-type;host;x-tc-region') },
        'AuthFailure.InvalidAuthorization',
      ],
      [{ 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' }, 'AuthFailure.InvalidAuthorization'],
      [{ 'x-tc-timestamp': undefined }, 'MissingParameter'],
      [{ 'x-tc-timestamp': '1767225600.5' }, 'InvalidParameterValue'],
      [{ authorization: auth.replace('2026-01-01', '2025-12-31') }, 'AuthFailure.SignatureFailure'],
      [{ authorization: auth.replace('/cbs/', '/cvm/') }, 'AuthFailure.SignatureFailure'],
    ];
    for (const [headers, code] of cases)
      expect([headers, refusedWith(withHeaders(goRequest, headers), goTimestamp)]).toEqual([
        headers,
        code,
      ]);
  });

  it('never names the secret key in a refusal', () => {
    for (const now of [goTimestamp, goTimestamp + 1000]) {
      const verdict = verifyTc3({ ...goRequest, body: Buffer.from('{}') }, lookup, now);
      expect(verdict.ok).toBe(false);
      expect(JSON.stringify(verdict)).not.toContain('go-style-secret-key');
    }
  });
});
