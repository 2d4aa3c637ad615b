import { ExitCode } from './errors';
import { cli, fakeFetch } from './spec-helpers';

const unreachable = () =>
  Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

/** The catalog's 202 to a copy of snap-aaaa0001, with one result per destination. */
const copyAnswer =
  (...results: object[]) =>
  () => ({
    status: 202,
    body: { sourceSnapshotId: 'snap-aaaa0001', results },
  });
const copyingToShanghai = {
  destinationRegion: 'ap-shanghai',
  snapshotId: 'snap-bbbb0001',
  replicationId: 'repl-1',
  code: 'Success',
  message: 'copying',
};

describe('snapferry command line (fake fetch, no network)', () => {
  it('turns options into the query string and prints the JSON body as is with --json', async () => {
    const page = { region: 'ap-guangzhou', total: 0, offset: 5, limit: 10, snapshots: [] };
    const api = fakeFetch(() => ({ status: 200, body: page }));
    const run = await cli(
      [
        'snapshot',
        'list',
        '--region',
        'ap-guangzhou',
        '--state',
        'NORMAL',
        '--disk',
        'disk-aaaa0001',
        '--offset',
        '5',
        '--limit',
        '10',
        '--json',
      ],
      api.fetch,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(page);
    const [call] = api.calls;
    expect(call!.method).toBe('GET');
    expect(`${call!.url.origin}${call!.url.pathname}`).toBe(
      'http://catalog.test:8080/v1/snapshots',
    );
    expect(Object.fromEntries(call!.url.searchParams)).toEqual({
      region: 'ap-guangzhou',
      state: 'NORMAL',
      diskId: 'disk-aaaa0001',
      offset: '5',
      limit: '10',
    });
    expect(call!.headers['authorization']).toBe('Bearer key-1');
  });

  it('accepts --json before or after the command', async () => {
    const api = fakeFetch(() => ({ status: 200, body: { regions: [], geoRestrictions: [] } }));
    for (const args of [
      ['--json', 'regions'],
      ['regions', '--json'],
    ])
      expect(JSON.parse((await cli(args, api.fetch)).stdout)).toEqual({
        regions: [],
        geoRestrictions: [],
      });
  });

  it('builds the copy request from --to, --name and --client-token', async () => {
    const api = fakeFetch(copyAnswer(copyingToShanghai));
    const run = await cli(
      ['copy', 'snap-aaaa0001', '--to', 'ap-shanghai', '--name', 'dr', '--client-token', 'tok-1'],
      api.fetch,
    );
    expect(run.code).toBe(0);
    expect(api.calls[0]).toMatchObject({
      method: 'POST',
      body: { destinationRegions: ['ap-shanghai'], snapshotName: 'dr', clientToken: 'tok-1' },
    });
    expect(run.stdout).toMatch(/ap-shanghai.*Success.*snap-bbbb0001/);
  });

  it('exits 1 and names the code when a destination is refused (partial success)', async () => {
    const api = fakeFetch(
      copyAnswer(copyingToShanghai, {
        destinationRegion: 'xx-nowhere',
        code: 'InvalidParameterValue.Region',
        message: 'unknown region xx-nowhere',
      }),
    );
    const run = await cli(
      ['copy', 'snap-aaaa0001', '--to', 'ap-shanghai,xx-nowhere', '--json'],
      api.fetch,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: InvalidParameterValue.Region: xx-nowhere: unknown region xx-nowhere\n',
    );
    expect(JSON.parse(run.stdout).results).toHaveLength(2);
  });

  it('exits 3 when copy --wait sees a copy fail', async () => {
    const api = fakeFetch(({ method, url }) => {
      if (method === 'POST')
        return {
          status: 202,
          body: {
            sourceSnapshotId: 'snap-a',
            results: [
              {
                destinationRegion: 'ap-shanghai',
                snapshotId: 'snap-b',
                replicationId: 'repl-1',
                code: 'Success',
                message: '',
              },
            ],
          },
        };
      if (url.pathname.startsWith('/v1/replications/'))
        return {
          status: 200,
          body: {
            replicationId: 'repl-1',
            targetRegion: 'ap-shanghai',
            targetSnapshotId: 'snap-b',
            state: 'FAILED',
            percent: 10,
            bytesTotal: 0,
            error: 'chunk digest mismatch',
          },
        };
      return { status: 200, body: { snapshotId: 'snap-b', state: 'FAILED' } };
    });
    const run = await cli(['copy', 'snap-a', '--to', 'ap-shanghai', '--wait', '--json'], api.fetch);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'error: copy to ap-shanghai (snap-b) ended FAILED: chunk digest mismatch\n',
    );
    expect(JSON.parse(run.stdout).replications[0].state).toBe('FAILED');
  });

  it('prints API errors in one line with their code and exits 1', async () => {
    const api = fakeFetch(() => ({
      status: 409,
      body: {
        error: {
          code: 'UnsupportedOperation.SnapshotCopying',
          message: 'snapshot snap-aaaa0001 is being copied',
          requestId: 'r1',
        },
      },
    }));
    const run = await cli(['snapshot', 'delete', 'snap-aaaa0001'], api.fetch);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: UnsupportedOperation.SnapshotCopying: snapshot snap-aaaa0001 is being copied\n',
    });
  });

  it('reports an answer that is not the API error shape by its HTTP status', async () => {
    const api = fakeFetch(() => ({ status: 502, headers: { 'content-type': 'text/plain' } }));
    const run = await cli(['regions'], api.fetch);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: Http502: /);
  });

  it('exits 4 when the API cannot be reached', async () => {
    const run = await cli(['regions'], fakeFetch(unreachable).fetch);
    expect(run).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: cannot reach the API at http://catalog.test:8080: ECONNREFUSED\n',
    });
  });

  it.each([
    [['snapshot', 'list']], // --region missing
    [['snapshot', 'list', '--region', 'ap-guangzhou', '--limit', 'ten']],
    [['snapshot', 'list', '--region', 'ap-guangzhou', '--state', 'SLEEPING']],
    [
      [
        'snapshot',
        'create',
        '--region',
        'ap-guangzhou',
        '--disk',
        'disk-aaaa0001',
        '--file',
        '/nonexistent/image.img',
      ],
    ],
    [['copy', 'snap-a', '--to', 'ap-shanghai,ap-shanghai']],
    [['events', '--after', 'yesterday']],
    [['events', '--follow', '--stream', 'snapshot-snap-aaaa0001']],
    [['nonsense']],
    [['admin', 'beta', 'enable']],
  ])('exits 2 on a usage error before sending anything: %j', async (args) => {
    const api = fakeFetch(() => ({ status: 200, body: {} }));
    const run = await cli(args, api.fetch);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(api.calls).toEqual([]);
  });

  it('needs SNAPFERRY_API_KEY and a well-formed SNAPFERRY_URL', async () => {
    const api = fakeFetch(() => ({ status: 200, body: {} }));
    expect(await cli(['regions'], api.fetch, {})).toMatchObject({
      code: 2,
      stderr: 'error: set SNAPFERRY_API_KEY to your API key\n',
    });
    expect(
      await cli(['regions'], api.fetch, { SNAPFERRY_API_KEY: 'k', SNAPFERRY_URL: 'ftp://x' }),
    ).toMatchObject({ code: 2 });
    expect(api.calls).toEqual([]);
  });

  it('exits 4 with a hint when the API certificate is not trusted', async () => {
    const untrusted = () =>
      Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
    const run = await cli(['regions'], fakeFetch(untrusted).fetch, {
      SNAPFERRY_URL: 'https://catalog.test:8443',
      SNAPFERRY_API_KEY: 'key-1',
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      "error: cannot reach the API at https://catalog.test:8443: DEPTH_ZERO_SELF_SIGNED_CERT (the API's certificate is not trusted: set SNAPFERRY_CA_FILE to the CA that signed it)\n",
    );
  });

  it('refuses a SNAPFERRY_CA_FILE it cannot read, before sending anything', async () => {
    const api = fakeFetch(() => ({ status: 200, body: {} }));
    const env = { SNAPFERRY_API_KEY: 'k', SNAPFERRY_CA_FILE: '/nonexistent/ca.pem' };
    expect(await cli(['regions'], api.fetch, env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^error: SNAPFERRY_CA_FILE \/nonexistent\/ca.pem cannot be read/,
      ),
    });
    expect(api.calls).toEqual([]);
  });

  it('defaults SNAPFERRY_URL to a catalog on this machine', async () => {
    const api = fakeFetch(() => ({ status: 200, body: { accountId: 'alice', betaEnabled: true } }));
    const run = await cli(['admin', 'beta', 'enable', 'alice'], api.fetch, {
      SNAPFERRY_API_KEY: 'k',
    });
    expect(run).toMatchObject({ code: 0, stdout: 'cross-region replication enabled for alice\n' });
    expect(api.calls[0]).toMatchObject({
      method: 'PUT',
      url: new URL('http://127.0.0.1:3000/v1/accounts/alice/beta'),
    });
  });

  it('exits 0 for --help', async () => {
    const run = await cli(['--help'], fakeFetch(() => ({ status: 200 })).fetch);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/SNAPFERRY_API_KEY/);
  });

  it('--help names every exit code the CLI can end with, and data verify says its own (7)', async () => {
    const api = fakeFetch(() => ({ status: 200 })).fetch;
    const help = (await cli(['--help'], api)).stdout;
    const listed = help.slice(help.indexOf('Exit codes:'));
    for (const code of Object.values(ExitCode).filter((c) => c !== ExitCode.ok))
      expect(listed).toMatch(new RegExp(`(^|[ ,])${code} \\S`, 'm'));
    const verify = await cli(['data', 'verify', '--help'], api);
    expect(verify.stdout).toMatch(/Exit 7 if they differ/);
    expect(ExitCode.dataDiffers).toBe(7);
  });
});
