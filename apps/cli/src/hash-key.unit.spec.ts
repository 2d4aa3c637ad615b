import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { cli, fakeFetch } from './spec-helpers';

const key = 'a-long-random-api-key-0123';
const digest = createHash('sha256').update(key).digest('hex');
const noApi = () => fakeFetch(() => ({ status: 500 }));
const stdin = (text: string) => Readable.from([Buffer.from(text)]);

describe('snapferry admin hash-key', () => {
  it('reads the key from stdin and prints the entry; needs no API and no API key', async () => {
    const api = noApi();
    const run = await cli(
      ['admin', 'hash-key', '--account', 'carol'],
      api.fetch,
      {},
      stdin(`${key}\n`),
    );
    expect(run).toEqual({ code: 0, stdout: `sha256:${digest}=carol:user\n`, stderr: '' });
    expect(api.calls).toEqual([]); // a catalog accepting the entry: test/e2e/hashed-keys.e2e.spec.ts
  });

  it('takes the first line only (CRLF too), a role, and --json', async () => {
    const run = await cli(
      ['admin', 'hash-key', '--account', 'ops', '--role', 'operator', '--json'],
      noApi().fetch,
      {},
      stdin(`${key}\r\nsomething else\n`),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      entry: `sha256:${digest}=ops:operator`,
      accountId: 'ops',
      role: 'operator',
    });
  });

  it('accepts the key as an argument, with a warning about shell history', async () => {
    const run = await cli(['admin', 'hash-key', '--account', 'carol', key], noApi().fetch, {});
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`sha256:${digest}=carol:user\n`);
    expect(run.stderr).toMatch(/shell history/);
  });

  it.each([
    ['a key that is too short', ['--account', 'carol'], 'short\n'],
    ['a key with a space', ['--account', 'carol'], 'has a space in it\n'],
    ['an empty stdin', ['--account', 'carol'], ''],
    ['an entry that is already hashed', ['--account', 'carol'], `sha256:${digest}\n`],
    ['a bad account', ['--account', 'no spaces please'], `${key}\n`],
    ['a bad role', ['--account', 'carol', '--role', 'admin'], `${key}\n`],
    ['no account', [], `${key}\n`],
  ])('refuses %s with a usage error that does not echo the key', async (_, args, input) => {
    const run = await cli(['admin', 'hash-key', ...args], noApi().fetch, {}, stdin(input));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(run.stderr).not.toContain(key);
  });
});
