import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client as CbsClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/cbs/v20170312/cbs_client';
import {
  createTestBroker,
  createTestDatabase,
  type TestBroker,
  type TestDatabase,
} from '@snapferry/testing';
import { apiClient, apiKeysEnv, keys } from '../support/catalog-harness';
import {
  refusedStart,
  ServiceProcess,
  serviceEnv,
  withProcessOutput,
} from '../support/process-harness';

/**
 * No production start falls back to a built-in secret: `start:catalog` without
 * SNAPFERRY_API_KEYS refuses and says what to set, the cloud endpoint is off without
 * SNAPFERRY_CLOUD_KEYS, and only `npm start` (SNAPFERRY_DEVELOPMENT_KEYS=1) runs on the
 * development keys, and says so. The services run as processes from dist/.
 */

const root = resolve(__dirname, '..', '..');
const run = promisify(execFile);
const development = { secretId: 'dev-secret-id', secretKey: 'dev-secret-key' };

let db: TestDatabase;
let broker: TestBroker;
let dataDir: string;
/** This machine's environment without any key or switch, on this file's database and vhost. */
let env: NodeJS.ProcessEnv;
let running: ServiceProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase('sf_keys');
  broker = await createTestBroker('sf_keys');
  dataDir = await mkdtemp(join(tmpdir(), 'snapferry-keys-'));
  const {
    SNAPFERRY_API_KEYS: _api,
    SNAPFERRY_CLOUD_KEYS: _cloud,
    SNAPFERRY_DEVELOPMENT_KEYS: _switch,
    ...rest
  } = process.env;
  env = {
    ...serviceEnv(db, broker, rest),
    SNAPFERRY_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
  };
});
afterEach(async () => {
  await running?.kill('SIGTERM').catch(() => undefined);
  running = undefined;
});
afterAll(async () => {
  await db?.drop();
  await broker?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const start = async (name: 'catalog' | 'replicator', extra: NodeJS.ProcessEnv) =>
  (running = await new ServiceProcess(name, { ...env, ...extra }).start());
const cbs = (endpoint: string, reqMethod: 'POST' | 'GET') =>
  new CbsClient({
    credential: development,
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: new URL(endpoint).host, protocol: 'http://', reqMethod } },
  });
const refusalOf = (call: Promise<unknown>) =>
  call.then(
    () => ({ code: 'no error', message: '' }),
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );

describe('a production start has no built-in keys', () => {
  it('the built catalog without SNAPFERRY_API_KEYS exits 1 and says what to set', async () => {
    const refused = await refusedStart('catalog', env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /snapferry catalog failed to start: SNAPFERRY_API_KEYS is not set, .*<key>=<accountId>:<role>.*sha256:<hex>=<accountId>:<role>.*snapferry admin hash-key/,
    );
  });

  it('npm run start:catalog refuses without SNAPFERRY_API_KEYS even with SNAPFERRY_DEVELOPMENT_KEYS=1 left in the environment', async () => {
    const outcome = await run(process.execPath, ['scripts/start.js', 'catalog'], {
      cwd: root,
      env: { ...env, SNAPFERRY_DEVELOPMENT_KEYS: '1' },
      timeout: 120_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code?: number | string; stdout?: string; stderr?: string }) => ({
        code: error.code,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    expect(outcome.code).toBe(1);
    expect(outcome.output).toContain(
      'snapferry catalog failed to start: SNAPFERRY_API_KEYS is not set',
    );
    // No banner offering the development key.
    expect(outcome.output).not.toContain('dev-operator-key');
  });

  it('the replicator starts without any API or cloud keys', async () => {
    const replicator = await start('replicator', { REPLICATOR_REGIONS: 'ap-shanghai' });
    expect(replicator.running).toBe(true);
  });

  it(
    'without SNAPFERRY_CLOUD_KEYS the cloud endpoint is off: the SDK gets AuthFailure.SecretIdNotFound naming SNAPFERRY_CLOUD_KEYS',
    withProcessOutput(async () => {
      const catalog = await start('catalog', { SNAPFERRY_API_KEYS: apiKeysEnv });
      for (const method of ['POST', 'GET'] as const) {
        const refusal = await refusalOf(cbs(catalog.url, method).DescribeSnapshots({}));
        expect(refusal.code).toBe('AuthFailure.SecretIdNotFound');
        expect(refusal.message).toMatch(/the cloud API endpoint is off: .*SNAPFERRY_CLOUD_KEYS/);
      }
      // Unsigned too, in the cloud's shape (HTTP 200, Response.Error, RequestId).
      const answer = await fetch(`${catalog.url}/`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({
        Response: {
          Error: {
            Code: 'AuthFailure.SecretIdNotFound',
            Message: expect.stringContaining('SNAPFERRY_CLOUD_KEYS'),
          },
          RequestId: expect.any(String),
        },
      });
      expect(catalog.linesWith('the cloud API endpoint (POST / and GET /) is off')).toHaveLength(1);
      // Nor does the v1 API know the development keys.
      const api = apiClient(catalog.url);
      expect((await api.as('dev-operator-key').get('/v1/regions')).status).toBe(401);
      expect((await api.as(keys.operator).get('/v1/regions')).status).toBe(200);
      expect(catalog.linesWith('built-in development keys')).toEqual([]);
    }),
  );

  it(
    'SNAPFERRY_DEVELOPMENT_KEYS=1 (npm start) runs on the development keys and warns that they must never be used in production',
    withProcessOutput(async () => {
      const catalog = await start('catalog', { SNAPFERRY_DEVELOPMENT_KEYS: '1' });
      const api = apiClient(catalog.url);
      expect((await api.as('dev-operator-key').get('/v1/regions')).status).toBe(200);
      expect((await cbs(catalog.url, 'POST').DescribeSnapshots({})).TotalCount).toBe(0);
      const [warning, ...more] = catalog.linesWith('built-in development keys');
      expect(more).toEqual([]);
      // A noted line is `out <json>`.
      expect(JSON.parse(warning!.slice(warning!.indexOf('{')))).toMatchObject({
        level: 40,
        developmentKeys: ['SNAPFERRY_API_KEYS', 'SNAPFERRY_CLOUD_KEYS'],
        msg: expect.stringContaining('must never be used in production'),
      });
    }),
  );
});

describe('npm start', () => {
  it('runs the whole stack on the development keys: dev-operator-key works and the banner offers it', async () => {
    const stack = spawn(process.execPath, ['scripts/start.js', 'all'], {
      cwd: root,
      env: { ...env, REPLICATOR_REGIONS: 'ap-shanghai' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => stack.once('exit', done));
    let output = '';
    const url = new Promise<string>((done) => {
      const read = (text: Buffer) => {
        output += text.toString('utf8');
        const listening = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"catalog listening"/.exec(output);
        if (listening) done(listening[1]!);
      };
      stack.stdout.on('data', read);
      stack.stderr.on('data', read);
    });
    try {
      const catalog = await Promise.race([
        url,
        exited.then((code) => {
          throw new Error(`npm start exited (${code}):\n${output}`);
        }),
      ]);
      expect(output).toContain('SNAPFERRY_API_KEY=dev-operator-key');
      expect(output).toContain('running with the built-in development keys');
      const api = apiClient(catalog);
      expect((await api.as('dev-operator-key').get('/v1/regions')).status).toBe(200);
      expect((await api.as('dev-user-key').get('/v1/snapshots?region=ap-guangzhou')).status).toBe(
        200,
      );
    } finally {
      stack.kill('SIGINT');
      await exited;
    }
  });

  const serviceEnv = async (what: string, given: NodeJS.ProcessEnv) =>
    JSON.parse(
      (
        await run(
          process.execPath,
          [
            '-e',
            "process.stdout.write(JSON.stringify(require('./scripts/start.js').serviceEnv(process.argv[1], process.env)))",
            what,
          ],
          { cwd: root, env: { PATH: process.env['PATH'], ...given } },
        )
      ).stdout,
    ) as NodeJS.ProcessEnv;

  it('sets the development switch only for the whole stack without SNAPFERRY_API_KEYS, never for start:catalog or start:replicator', async () => {
    expect((await serviceEnv('all', {}))['SNAPFERRY_DEVELOPMENT_KEYS']).toBe('1');
    expect(
      (await serviceEnv('all', { SNAPFERRY_API_KEYS: apiKeysEnv }))['SNAPFERRY_DEVELOPMENT_KEYS'],
    ).toBeUndefined();
    for (const what of ['catalog', 'replicator'])
      expect(
        (await serviceEnv(what, { SNAPFERRY_DEVELOPMENT_KEYS: '1' }))['SNAPFERRY_DEVELOPMENT_KEYS'],
      ).toBeUndefined();
  });
});
