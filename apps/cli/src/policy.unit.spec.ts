import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PolicyResponse, PolicyStatusResponse } from '@snapferry/contracts';
import { UsageError } from './errors';
import { failsOn } from './policy';
import { policyBody } from './policy-body';
import { policyDetails, statusText } from './policy-output';
import { cli, fakeFetch } from './spec-helpers';

const policy = (over: Partial<PolicyResponse> = {}): PolicyResponse => ({
  policyId: 'pol-aaaa0001',
  name: 'orders-db DR',
  sourceRegion: 'ap-guangzhou',
  selector: { diskIds: ['disk-aaaa0001'], tags: [{ key: 'tier', value: 'gold' }] },
  destinations: [{ region: 'ap-shanghai', retain: { count: 3, maxAgeDays: 7 } }],
  minIntervalMinutes: 5,
  rpoMinutes: 10,
  enabled: true,
  failures: [],
  createdAt: '2026-12-04T10:00:00.000Z',
  updatedAt: '2026-12-04T10:00:00.000Z',
  ...over,
});

const status: PolicyStatusResponse = {
  policyId: 'pol-aaaa0001',
  rpoMinutes: 10,
  evaluatedAt: '2026-12-04T10:10:00.000Z',
  recoveryPoints: [
    {
      diskId: 'disk-aaaa0001',
      region: 'ap-shanghai',
      snapshotId: 'snap-bbbb0001',
      recoversTo: '2026-12-04T10:05:00.000Z',
      ageSeconds: 300,
      state: 'OK',
    },
    {
      diskId: 'disk-aaaa0001',
      region: 'ap-singapore',
      snapshotId: 'snap-cccc0001',
      recoversTo: '2026-12-04T09:58:00.000Z',
      ageSeconds: 720,
      state: 'BREACHED',
    },
    {
      diskId: 'disk-aaaa0002',
      region: 'ap-shanghai',
      snapshotId: null,
      recoversTo: null,
      ageSeconds: null,
      state: 'NONE',
    },
  ],
};

describe('policy create: the body from flags and --file', () => {
  it('builds a whole policy from flags', () => {
    expect(
      policyBody({
        name: 'orders-db DR',
        sourceRegion: 'ap-guangzhou',
        tag: [{ key: 'tier', value: 'gold' }],
        to: ['ap-shanghai', 'ap-singapore'],
        keep: 3,
        sourceKeep: 10,
        minInterval: 5,
        rpo: 10,
        disabled: true,
      }),
    ).toEqual({
      name: 'orders-db DR',
      sourceRegion: 'ap-guangzhou',
      selector: { tags: [{ key: 'tier', value: 'gold' }] },
      destinations: [
        { region: 'ap-shanghai', retain: { count: 3 } },
        { region: 'ap-singapore', retain: { count: 3 } },
      ],
      sourceRetain: { count: 10 },
      minIntervalMinutes: 5,
      rpoMinutes: 10,
      enabled: false,
    });
  });

  it("lets flags replace a file's fields, keeping what they do not say", () => {
    const file = {
      name: 'from file',
      sourceRegion: 'ap-guangzhou',
      selector: { diskIds: ['disk-aaaa0001'] },
      destinations: [
        { region: 'ap-shanghai', retain: { count: 3 } },
        { region: 'ap-singapore', retain: { maxAgeDays: 7 } },
      ],
      rpoMinutes: 60,
    };
    expect(policyBody({ name: 'renamed', tag: [{ key: 'env', value: 'prod' }] }, file)).toEqual({
      ...file,
      name: 'renamed',
      selector: { diskIds: ['disk-aaaa0001'], tags: [{ key: 'env', value: 'prod' }] },
    });
    // --to over a file: regions it lists keep their retention
    expect(policyBody({ to: ['ap-singapore'] }, file)['destinations']).toEqual([
      { region: 'ap-singapore', retain: { maxAgeDays: 7 } },
    ]);
    // --keep over a file: every destination's retention
    expect(policyBody({ keep: 2 }, file)['destinations']).toEqual([
      { region: 'ap-shanghai', retain: { count: 2 } },
      { region: 'ap-singapore', retain: { count: 2 } },
    ]);
  });

  it('says which flag is missing before sending anything', () => {
    const whole = {
      name: 'x',
      sourceRegion: 'ap-guangzhou',
      disk: ['disk-aaaa0001'],
      to: ['ap-shanghai'],
      keep: 1,
      rpo: 10,
    };
    expect(() => policyBody({ ...whole, rpo: undefined })).toThrow('--rpo');
    expect(() => policyBody({ ...whole, disk: undefined })).toThrow('--disk or --tag');
    expect(() => policyBody({ ...whole, keep: undefined })).toThrow(UsageError);
    expect(() => policyBody({ ...whole, to: undefined })).toThrow('need --to');
  });
});

describe('policy status', () => {
  it('prints one row per disk and destination with the age in words', () => {
    const text = statusText(status);
    expect(text).toMatch(/DISK.*REGION.*NEWEST COPY.*RECOVERS TO.*AGE.*STATE/);
    expect(text).toMatch(/disk-aaaa0001.*ap-shanghai.*snap-bbbb0001.*10:05:00.000Z.*5m 00s.*OK/);
    expect(text).toMatch(/ap-singapore.*12m 00s.*BREACHED/);
    expect(text).toMatch(/disk-aaaa0002.*ap-shanghai.*│ -\s+│ -\s+│ -\s+│ NONE/);
    expect(text).toMatch(/pol-aaaa0001: objective 10 min, as of 2026-12-04T10:10:00.000Z$/);
    expect(statusText({ ...status, recoveryPoints: [] })).toMatch(/no disk selected yet/);
  });

  it('--fail-on: AT_RISK includes BREACHED, NONE includes both', () => {
    expect(failsOn('OK', 'AT_RISK')).toBe(false);
    expect(failsOn('BREACHED', 'AT_RISK')).toBe(true);
    expect(failsOn('AT_RISK', 'BREACHED')).toBe(false);
    expect(failsOn('NONE', 'BREACHED')).toBe(false);
    expect(failsOn('NONE', 'NONE')).toBe(true);
  });
});

describe('snapferry policy (fake fetch, no network)', () => {
  it('create: POSTs the body from flags and prints the policy', async () => {
    const api = fakeFetch(() => ({ status: 201, body: policy() }));
    const run = await cli(
      [
        'policy',
        'create',
        '--name',
        'orders-db DR',
        '--source-region',
        'ap-guangzhou',
        '--disk',
        'disk-aaaa0001',
        '--tag',
        'tier=gold',
        '--to',
        'ap-shanghai',
        '--keep',
        '3',
        '--keep-days',
        '7',
        '--min-interval',
        '5',
        '--rpo',
        '10',
      ],
      api.fetch,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(api.calls[0]).toMatchObject({
      method: 'POST',
      body: {
        name: 'orders-db DR',
        sourceRegion: 'ap-guangzhou',
        selector: { diskIds: ['disk-aaaa0001'], tags: [{ key: 'tier', value: 'gold' }] },
        destinations: [{ region: 'ap-shanghai', retain: { count: 3, maxAgeDays: 7 } }],
        minIntervalMinutes: 5,
        rpoMinutes: 10,
      },
    });
    expect(api.calls[0]!.url.pathname).toBe('/v1/policies');
    expect(run.stdout).toMatch(/policy\s+│ pol-aaaa0001/);
    expect(run.stdout).toMatch(/ap-shanghai\s+│ newest 3, 7 days/);
  });

  it('create --file: reads the policy from a file or stdin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snapferry-policy-'));
    try {
      const body = {
        name: 'file',
        sourceRegion: 'ap-guangzhou',
        selector: { diskIds: ['disk-aaaa0001'] },
        destinations: [{ region: 'ap-shanghai', retain: { count: 1 } }],
        rpoMinutes: 30,
      };
      await writeFile(join(dir, 'p.json'), JSON.stringify(body));
      const api = fakeFetch(() => ({ status: 201, body: policy() }));
      const fromFile = await cli(
        ['policy', 'create', '--file', join(dir, 'p.json'), '--rpo', '45', '--json'],
        api.fetch,
      );
      expect(fromFile.code).toBe(0);
      expect(api.calls[0]!.body).toEqual({ ...body, rpoMinutes: 45 });
      const fromStdin = await cli(
        ['policy', 'create', '--file', '-'],
        api.fetch,
        undefined,
        Readable.from([Buffer.from(JSON.stringify(body))]),
      );
      expect(fromStdin.code).toBe(0);
      expect(api.calls[1]!.body).toEqual(body);
      await writeFile(join(dir, 'bad.json'), '[1, 2');
      const bad = await cli(['policy', 'create', '--file', join(dir, 'bad.json')], api.fetch);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/is not JSON/);
      expect(api.calls).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags as usage errors, before any request', async () => {
    const api = fakeFetch(() => ({ status: 201, body: policy() }));
    for (const args of [
      ['--tag', 'gold'],
      ['--rpo', 'ten'],
      ['--to', 'ap-shanghai,ap-shanghai'],
    ]) {
      const run = await cli(['policy', 'create', ...args], api.fetch);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await cli(['policy', 'create', '--name', 'x'], api.fetch)).code).toBe(2);
    expect(api.calls).toHaveLength(0);
  });

  it('list, get, preview and delete call their paths', async () => {
    const api = fakeFetch((call) => {
      if (call.method === 'DELETE') return { status: 204 };
      if (call.url.pathname.endsWith('/preview'))
        return {
          status: 200,
          body: {
            copies: [
              {
                snapshotId: 'snap-aaaa0009',
                diskId: 'disk-aaaa0001',
                destinationRegion: 'ap-shanghai',
              },
            ],
            deletions: [],
          },
        };
      if (call.url.pathname === '/v1/policies')
        return { status: 200, body: { total: 1, offset: 0, limit: 20, policies: [policy()] } };
      return { status: 200, body: policy() };
    });
    const list = await cli(['policy', 'list', '--limit', '5'], api.fetch);
    expect(list.stdout).toMatch(
      /pol-aaaa0001.*orders-db DR.*ap-guangzhou.*disk-aaaa0001; tier=gold/,
    );
    expect(list.stdout).toMatch(/1-1 of 1$/m);
    expect(api.calls[0]!.url.searchParams.get('limit')).toBe('5');
    const preview = await cli(['policy', 'preview', 'pol-aaaa0001'], api.fetch);
    expect(preview.stdout).toMatch(/snap-aaaa0009.*disk-aaaa0001.*ap-shanghai/);
    expect(preview.stdout).toMatch(/nothing to delete/);
    const deleted = await cli(['policy', 'delete', 'pol-aaaa0001', '--json'], api.fetch);
    expect(JSON.parse(deleted.stdout)).toEqual({ policyId: 'pol-aaaa0001', deleted: true });
    await cli(['policy', 'get', 'pol-aaaa0001'], api.fetch);
    expect(api.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      'GET /v1/policies',
      'GET /v1/policies/pol-aaaa0001/preview',
      'DELETE /v1/policies/pol-aaaa0001',
      'GET /v1/policies/pol-aaaa0001',
    ]);
  });

  it('status --fail-on BREACHED exits 6 (the table still printed); without it, 0', async () => {
    const api = fakeFetch(() => ({ status: 200, body: status }));
    expect((await cli(['policy', 'status', 'pol-aaaa0001'], api.fetch)).code).toBe(0);
    const failing = await cli(
      ['policy', 'status', 'pol-aaaa0001', '--fail-on', 'BREACHED'],
      api.fetch,
    );
    expect(failing.code).toBe(6);
    expect(failing.stdout).toMatch(/BREACHED/);
  });

  it('shows the refusals of a policy', () => {
    const text = policyDetails(
      policy({
        failures: [
          {
            snapshotId: 'snap-aaaa0009',
            diskId: 'disk-aaaa0001',
            destinationRegion: 'ap-shanghai',
            code: 'LimitExceeded.SnapshotQuota',
            message: 'quota',
            refusedAt: '2026-12-04T10:00:00.000Z',
          },
        ],
      }),
    );
    expect(text).toMatch(/snap-aaaa0009.*ap-shanghai.*LimitExceeded.SnapshotQuota/);
  });
});

describe('tags and deadlines on snapshot and copy commands (fake fetch)', () => {
  it('snapshot list --tag sends tag:<key>=<value> parameters', async () => {
    const api = fakeFetch(() => ({
      status: 200,
      body: { region: 'ap-guangzhou', total: 0, offset: 0, limit: 20, snapshots: [] },
    }));
    const run = await cli(
      ['snapshot', 'list', '--region', 'ap-guangzhou', '--tag', 'tier=gold', '--tag', 'env=prod'],
      api.fetch,
    );
    expect(run.code).toBe(0);
    expect(Object.fromEntries(api.calls[0]!.url.searchParams)).toEqual({
      region: 'ap-guangzhou',
      'tag:tier': 'gold',
      'tag:env': 'prod',
    });
  });

  it('copy --deadline sends the time; a bad one is a usage error', async () => {
    const api = fakeFetch(() => ({
      status: 202,
      body: { sourceSnapshotId: 'snap-a', results: [] },
    }));
    const run = await cli(
      ['copy', 'snap-aaaa0001', '--to', 'ap-shanghai', '--deadline', '2030-01-01T00:00:00Z'],
      api.fetch,
    );
    expect(run.code).toBe(0);
    expect(api.calls[0]!.body).toMatchObject({ deadline: '2030-01-01T00:00:00.000Z' });
    const before = Date.now();
    await cli(['copy', 'snap-aaaa0001', '--to', 'ap-shanghai', '--deadline', '30m'], api.fetch);
    const sent = Date.parse((api.calls[1]!.body as { deadline: string }).deadline);
    expect(sent - before).toBeGreaterThanOrEqual(30 * 60_000);
    expect(sent - before).toBeLessThan(31 * 60_000);
    const bad = await cli(
      ['copy', 'snap-aaaa0001', '--to', 'ap-shanghai', '--deadline', 'soon'],
      api.fetch,
    );
    expect(bad.code).toBe(2);
    expect(api.calls).toHaveLength(2);
  });
});
