import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegionAuthError } from '../errors';
import { HttpRegionStore } from './http-region-store';
import { verifyRegionRequest } from './region-auth';

const secret = 'region-secret-0001';

/** A store service that answers each attempt with the next of `answers`, and keeps what came. */
async function storeAnswering(answers: [number, object][]) {
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createServer((request, response) => {
    received.push(request.headers);
    const [status, body] = answers[Math.min(received.length, answers.length) - 1]!;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    store: new HttpRegionStore('ap-shanghai', { baseUrl: `http://127.0.0.1:${port}`, secret }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const refused = (code: string) => ({ error: { code, message: 'refused' } });

describe('HttpRegionStore over HTTP', () => {
  it('signs every attempt anew (date, nonce, signature) and retries a replay refusal', async () => {
    const s = await storeAnswering([
      [503, refused('ServiceUnavailable')],
      [401, refused('AuthFailure.SignatureReplayed')],
      [200, { snapshotIds: ['snap-aaaa0001'] }],
    ]);
    try {
      expect(await s.store.listManifests()).toEqual(['snap-aaaa0001']);
      expect(s.received).toHaveLength(3);
      const signatures = s.received.map((h) => h['authorization']);
      const nonces = s.received.map((h) => h['x-snapferry-nonce']);
      expect(new Set(signatures).size).toBe(3);
      expect(new Set(nonces).size).toBe(3);
      for (const headers of s.received)
        expect(
          verifyRegionRequest(
            secret,
            { method: 'GET', path: '/v1/store/ap-shanghai/manifests' },
            headers,
          ).ok,
        ).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('fails at once on any other 401 (a wrong secret is not retried)', async () => {
    const s = await storeAnswering([[401, refused('AuthFailure.RegionSignature')]]);
    try {
      await expect(s.store.listManifests()).rejects.toBeInstanceOf(RegionAuthError);
      expect(s.received).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
