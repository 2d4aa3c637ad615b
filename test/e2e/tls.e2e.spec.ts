import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { bin, runNode } from '../support/cli-process';
import { refusedStart } from '../support/process-harness';

/**
 * SNAPFERRY_TLS_CERT / SNAPFERRY_TLS_KEY: the catalog and the replicator's port serve HTTPS
 * (and nothing on plain HTTP), the CLI trusts the self-signed certificate through
 * SNAPFERRY_CA_FILE, and a half or broken pair stops a service at start.
 */
const run = promisify(execFile);
let work: string;
let cert: string;
let key: string;
let otherKey: string;
let t: TestCatalog;
let replicator: RunningReplicator;

/** A self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
async function selfSigned(name: string): Promise<{ cert: string; key: string }> {
  const files = { cert: join(work, `${name}.crt`), key: join(work, `${name}.key`) };
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    files.key,
    '-out',
    files.cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return files;
}

const snapferry = (args: string[], env: NodeJS.ProcessEnv) =>
  runNode(bin, args, { PATH: process.env['PATH'], SNAPFERRY_URL: t.url, ...env });
const trusted = (apiKey: string, args: string[]) =>
  snapferry(args, { SNAPFERRY_API_KEY: apiKey, SNAPFERRY_CA_FILE: cert });

/** A GET over plain HTTP: its status, or the error that ended it. */
const plainGet = (url: string) =>
  new Promise<number | string>((done) => {
    const request = httpGet(url, { timeout: 5000 }, (response) => {
      response.resume();
      done(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });

const httpsStatus = (url: string, ca: string) =>
  new Promise<number>((done, fail) =>
    httpsGet(url, { ca }, (response) => {
      response.resume();
      done(response.statusCode ?? 0);
    }).on('error', fail),
  );

describe('TLS: the catalog and the replicator serve HTTPS; the CLI trusts SNAPFERRY_CA_FILE', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'snapferry-tls-'));
    ({ cert, key } = await selfSigned('snapferry-test'));
    otherKey = (await selfSigned('other')).key;
    const tls = { SNAPFERRY_TLS_CERT: cert, SNAPFERRY_TLS_KEY: key };
    t = await startTestCatalog(tls);
    replicator = await startReplicator({
      ...t.env,
      REPLICATOR_REGIONS: 'ap-shanghai',
      REPLICATOR_PORT: '0',
    });
  });
  afterAll(async () => {
    await replicator?.stop();
    await t?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('announces https:// URLs and answers HTTPS on both ports', async () => {
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(replicator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(cert, 'utf8');
    expect(await httpsStatus(`${t.url}/health`, ca)).toBe(200);
    expect(await httpsStatus(`${replicator.url}/health`, ca)).toBe(200);
  });

  it('serves nothing over plain HTTP on either port', async () => {
    for (const url of [t.url, replicator.url]) {
      // The TLS server drops a plain-text request: a reset connection, never an HTTP status.
      expect(await plainGet(`${url.replace('https://', 'http://')}/health`)).toBe('ECONNRESET');
    }
  });

  it('the CLI copies, follows the event log and reads bytes back over HTTPS with SNAPFERRY_CA_FILE', async () => {
    expect(await trusted(keys.operator, ['admin', 'beta', 'enable', 'alice'])).toMatchObject({
      code: 0,
    });
    const image = randomBytes(200_000);
    const file = join(work, 'disk.img');
    await writeFile(file, image);
    const created = await trusted(keys.alice, [
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-71500001',
      '--file',
      file,
      '--json',
    ]);
    expect(created.code).toBe(0);
    const source = JSON.parse(created.stdout).snapshotId as string;
    const copied = await trusted(keys.alice, [
      'copy',
      source,
      '--to',
      'ap-shanghai',
      '--wait',
      '--json',
    ]);
    expect(copied.code).toBe(0);
    const target = JSON.parse(copied.stdout).results[0].snapshotId as string;
    const out = join(work, 'copy.img');
    expect(await trusted(keys.alice, ['data', 'get', target, '-o', out])).toMatchObject({
      code: 0,
    });
    expect((await readFile(out)).equals(image)).toBe(true);
    const followed = await trusted(keys.alice, [
      'events',
      '--follow',
      '--after',
      '0',
      '--limit',
      '2',
      '--json',
    ]);
    expect(followed.code).toBe(0);
    expect(followed.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('the CLI without SNAPFERRY_CA_FILE refuses the untrusted certificate (exit 4, with a hint)', async () => {
    const refused = await snapferry(['regions'], { SNAPFERRY_API_KEY: keys.alice });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^error: cannot reach the API at https:.*SNAPFERRY_CA_FILE/);
  });

  it.each([
    ['catalog', { SNAPFERRY_TLS_KEY: '' }, /SNAPFERRY_TLS_KEY is not set/],
    ['replicator', { SNAPFERRY_TLS_CERT: '' }, /SNAPFERRY_TLS_CERT is not set/],
    [
      'catalog',
      { SNAPFERRY_TLS_KEY: '/nonexistent/key.pem' },
      /SNAPFERRY_TLS_KEY .* cannot be read/,
    ],
    ['replicator', {}, /are not a usable certificate and key/], // the other certificate's key
  ] as const)(
    '%s refuses to start with a half or broken pair (%j)',
    async (service, env, message) => {
      const pair = { SNAPFERRY_TLS_CERT: cert, SNAPFERRY_TLS_KEY: otherKey, ...env };
      const ended = await refusedStart(service, {
        ...t.env,
        PORT: '0',
        REPLICATOR_PORT: '0',
        ...pair,
      });
      expect(ended.code).toBe(1);
      expect(ended.stderr).toMatch(new RegExp(`^snapferry ${service} failed to start: `));
      expect(ended.stderr).toMatch(message);
    },
  );
});
