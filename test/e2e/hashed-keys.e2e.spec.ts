import { createHash } from 'node:crypto';
import { startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { bin, runNode } from '../support/cli-process';

/**
 * Keys at rest: `snapferry admin hash-key` (the built CLI, key on stdin) prints the entries, and
 * a catalog configured with those entries only (no usable key in its configuration) accepts the
 * keys with their roles, and nothing else — the digest itself included.
 */
const carolKey = 'carol-key-hashed-at-rest-01';
const opsKey = 'ops-key-hashed-at-rest-0001';

const snapferry = (args: string[], env: NodeJS.ProcessEnv, stdin = '') =>
  runNode(bin, args, { PATH: process.env['PATH'], ...env }, stdin);

let t: TestCatalog;
const as = (key: string, args: string[]) =>
  snapferry(args, { SNAPFERRY_URL: t.url, SNAPFERRY_API_KEY: key });

describe('API keys configured as sha256: entries', () => {
  beforeAll(async () => {
    const carol = await snapferry(['admin', 'hash-key', '--account', 'carol'], {}, `${carolKey}\n`);
    const ops = await snapferry(
      ['admin', 'hash-key', '--account', 'ops', '--role', 'operator'],
      {},
      `${opsKey}\n`,
    );
    for (const run of [carol, ops]) expect(run).toMatchObject({ code: 0, stderr: '' });
    const entries = `${carol.stdout.trim()},${ops.stdout.trim()}`;
    expect(entries).not.toContain(carolKey);
    expect(entries).not.toContain(opsKey);
    t = await startTestCatalog({ SNAPFERRY_API_KEYS: entries });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('accepts each key with the account and role of its entry', async () => {
    expect(await as(opsKey, ['admin', 'beta', 'enable', 'carol'])).toMatchObject({
      code: 0,
      stdout: 'cross-region replication enabled for carol\n',
    });
    const regions = await as(carolKey, ['regions', '--json']);
    expect(regions.code).toBe(0);
    expect(JSON.parse(regions.stdout).regions.length).toBeGreaterThan(0);
    expect(await as(carolKey, ['admin', 'beta', 'enable', 'carol'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: UnauthorizedOperation\.OperatorOnly: /),
    });
  });

  it('refuses the digest, the entry and near misses as keys', async () => {
    const digest = createHash('sha256').update(carolKey).digest('hex');
    for (const key of [digest, `sha256:${digest}`, `${carolKey}x`, carolKey.toUpperCase()])
      expect(await as(key, ['regions'])).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^error: AuthFailure\.InvalidApiKey: /),
      });
  });
});
