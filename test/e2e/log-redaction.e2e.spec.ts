import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  createTestBroker,
  createTestDatabase,
  type TestBroker,
  type TestDatabase,
} from '@snapferry/testing';
import { apiKeysEnv, keys } from '../support/catalog-harness';
import { ServiceProcess, serviceEnv, withProcessOutput } from '../support/process-harness';

/**
 * The services as processes at LOG_LEVEL=trace: every line they write (stdout and stderr,
 * start to stop) is read, after requests that carry good and bad keys, cookies and other
 * credential headers. No credential may appear anywhere; the request lines still say what an
 * operator needs.
 */
const secrets = {
  badKey: 'not-a-configured-key-7f3a9c',
  cookie: 'session-cookie-value-91d2e4',
  apiKeyHeader: 'x-api-key-value-5b8e21',
  proxy: 'proxy-credential-value-c4d7',
  queryToken: 'query-token-value-e6a1f0',
};
const everySecret = [keys.alice, keys.operator, keys.bob, ...Object.values(secrets)];

let db: TestDatabase;
let broker: TestBroker;
let dataDir: string;
let catalog: ServiceProcess;
let replicator: ServiceProcess;
const lines: { service: string; line: string }[] = [];

const call = (base: string, path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { 'user-agent': 'redaction-test/1.0', ...(init.headers as Record<string, string>) },
  });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The JSON request-log lines of one service (pino-http's "request completed"/"request errored"). */
const requestLines = (service: string) =>
  lines
    .filter((l) => l.service === service && l.line.startsWith('{'))
    .map((l) => JSON.parse(l.line) as Record<string, any>)
    .filter((l) => l['req'] && l['res']);

describe('no credential in the logs (catalog and replicator as processes)', () => {
  beforeAll(async () => {
    db = await createTestDatabase('sf_logs');
    broker = await createTestBroker('sf_logs');
    dataDir = await mkdtemp(join(tmpdir(), 'snapferry-logs-'));
    const env: NodeJS.ProcessEnv = {
      ...serviceEnv(db, broker),
      REPLICATOR_REGIONS: 'ap-shanghai',
      SNAPFERRY_DATA_DIR: dataDir,
      SNAPFERRY_API_KEYS: apiKeysEnv,
      LOG_LEVEL: 'trace',
    };
    catalog = new ServiceProcess('catalog', env).onLine((line) =>
      lines.push({ service: 'catalog', line }),
    );
    replicator = new ServiceProcess('replicator', env).onLine((line) =>
      lines.push({ service: 'replicator', line }),
    );
    await catalog.start();
    await replicator.start();
  });
  afterAll(async () => {
    for (const service of [catalog, replicator])
      if (service?.running) await service.kill('SIGKILL');
    await db?.drop();
    await broker?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'requests with good and bad keys, cookies and API-key headers leave no secret in any line',
    withProcessOutput(async () => {
      const api = catalog.url;
      const json = { 'content-type': 'application/json' };
      expect((await call(api, '/v1/regions', { headers: bearer(keys.alice) })).status).toBe(200);
      const created = await call(api, '/v1/snapshots', {
        method: 'POST',
        headers: { ...bearer(keys.alice), ...json, cookie: `sid=${secrets.cookie}` },
        body: JSON.stringify({
          region: 'ap-guangzhou',
          diskId: 'disk-10650001',
          diskUsage: 'DATA_DISK',
          diskSizeGiB: 1,
        }),
      });
      expect(created.status).toBe(201);
      const { snapshotId } = (await created.json()) as { snapshotId: string };
      expect(
        (
          await call(api, `/v1/snapshots/${snapshotId}/data`, {
            method: 'PUT',
            headers: { ...bearer(keys.alice), 'content-type': 'application/octet-stream' },
            body: Buffer.from('image bytes'),
          })
        ).status,
      ).toBe(200);
      expect(
        (await call(api, '/v1/accounts/alice/beta', { method: 'PUT', headers: bearer(keys.bob) }))
          .status,
      ).toBe(403);
      expect(
        (
          await call(api, '/v1/accounts/alice/beta', {
            method: 'PUT',
            headers: bearer(keys.operator),
          })
        ).status,
      ).toBe(200);
      expect((await call(api, '/v1/regions', { headers: bearer(secrets.badKey) })).status).toBe(
        401,
      );
      expect(
        (
          await call(api, '/v1/regions', {
            headers: {
              cookie: `session=${secrets.cookie}`,
              'x-api-key': secrets.apiKeyHeader,
              'proxy-authorization': `Basic ${secrets.proxy}`,
            },
          })
        ).status,
      ).toBe(401);
      // An unknown parameter is refused (400), and its value is still kept out of the log.
      expect(
        (
          await call(api, `/v1/events?after=0&access_token=${secrets.queryToken}`, {
            headers: bearer(keys.operator),
          })
        ).status,
      ).toBe(400);
      expect((await call(api, '/v1/no-such-route', { headers: bearer(keys.alice) })).status).toBe(
        404,
      );
      expect((await call(api, '/health', { headers: bearer(keys.operator) })).status).toBe(200);
      // The replicator's port: probes are quiet, anything else is logged the same way.
      for (const path of ['/health', '/metrics', '/v1/store/nothing'])
        await call(replicator.url, path, {
          headers: { ...bearer(keys.operator), cookie: `sid=${secrets.cookie}` },
        });
      await catalog.kill('SIGTERM');
      await replicator.kill('SIGTERM');

      const leaks = lines.filter((l) => everySecret.some((secret) => l.line.includes(secret)));
      expect(leaks).toEqual([]);
      expect(lines.length).toBeGreaterThan(50); // trace level: start-up, requests, shutdown

      // Not vacuous: the request lines are there, with what an operator needs.
      const requests = requestLines('catalog');
      const create = requests.find((l) => l['req'].method === 'POST');
      expect(create).toMatchObject({
        req: {
          id: expect.any(String),
          method: 'POST',
          url: '/v1/snapshots',
          remoteAddress: expect.any(String),
          userAgent: 'redaction-test/1.0',
        },
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
        accountId: 'alice',
        correlationId: create?.['req'].id,
      });
      expect(Object.keys(create!['req']).sort()).toEqual(
        ['id', 'method', 'remoteAddress', 'url', 'userAgent'].sort(),
      );
      expect(create!['res']).toEqual({ statusCode: 201 });
      const refused = requests.filter((l) => l['res'].statusCode === 401);
      expect(refused).toHaveLength(2);
      for (const line of refused) expect(line['accountId']).toBeUndefined();
      expect(requests.find((l) => l['res'].statusCode === 403)?.['accountId']).toBe('bob');
      expect(requests.find((l) => String(l['req'].url).startsWith('/v1/events'))?.['req'].url).toBe(
        '/v1/events?after=0&access_token=[redacted]',
      );
      expect(requests.some((l) => l['req'].url === '/health')).toBe(false);
      const replicatorRequests = requestLines('replicator');
      expect(replicatorRequests.map((l) => [l['req'].url, l['res'].statusCode])).toEqual([
        ['/v1/store/nothing', 401],
      ]);
    }),
  );
});

describe('npm start banner', () => {
  const root = resolve(__dirname, '..', '..');
  const banner = async (env: NodeJS.ProcessEnv) =>
    (
      await promisify(execFile)(
        process.execPath,
        ['-e', "require('./scripts/start.js').banner(process.env)"],
        { cwd: root, env: { PATH: process.env['PATH'], ...env } },
      )
    ).stderr;

  it('prints the built-in development key, never a configured one', async () => {
    expect(await banner({ SNAPFERRY_DEVELOPMENT_KEYS: '1' })).toContain(
      'SNAPFERRY_API_KEY=dev-operator-key',
    );
    expect(await banner({})).not.toContain('dev-operator-key');
    const configured = await banner({ SNAPFERRY_API_KEYS: apiKeysEnv, PORT: '3443' });
    expect(configured).toContain('http://127.0.0.1:3443/v1');
    expect(configured).toContain('SNAPFERRY_API_KEYS (not shown)');
    for (const key of Object.values(keys)) expect(configured).not.toContain(key);
    expect(await banner({ SNAPFERRY_TLS_CERT: '/etc/cert.pem' })).toContain(
      'https://127.0.0.1:3000/v1',
    );
  });
});
