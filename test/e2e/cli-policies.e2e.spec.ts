import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { runCli, runCliJson } from '../support/cli-process';

/**
 * The CLI's policy verbs, tags and deadlines as a user runs them: spawned `snapferry`
 * processes against a real catalog and replicator (ap-shanghai and ap-singapore; ap-tokyo has
 * no replicator, so a copy there never lands).
 */
describe('snapferry policy, --tag and --deadline end to end (spawned CLI, real services)', () => {
  let t: TestStack;
  let work: string;
  beforeAll(async () => {
    t = await startTestStack();
    work = await mkdtemp(join(tmpdir(), 'snapferry-cli-policies-'));
  });
  afterAll(async () => {
    await t?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const as = {
    get url() {
      return t.url;
    },
    key: keys.alice,
  };
  const cli = (args: string[], stdin?: string) =>
    runCli(args, { ...as, ...(stdin ? { stdin } : {}) });
  const json = (args: string[], stdin?: string) =>
    runCliJson(args, { ...as, ...(stdin ? { stdin } : {}) });

  /** `snapshot create` of a small random image on `diskId` with `--tag`s; returns the snapshot. */
  async function taggedSnapshot(diskId: string, tags: string[]) {
    const file = join(work, `${randomBytes(4).toString('hex')}.img`);
    await writeFile(file, randomBytes(100 * 1024));
    return json([
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      diskId,
      '--file',
      file,
      ...tags.flatMap((tag) => ['--tag', tag]),
    ]);
  }

  it('a tag-selected policy from flags copies a `snapshot create --tag` snapshot to both regions; status, preview, list, get, delete', async () => {
    const tier = `gold-${randomBytes(3).toString('hex')}`;
    const created = await json([
      'policy',
      'create',
      '--name',
      'orders-db DR',
      '--source-region',
      'ap-guangzhou',
      '--tag',
      `tier=${tier}`,
      '--to',
      'ap-shanghai,ap-singapore',
      '--keep',
      '3',
      '--min-interval',
      '5',
      '--rpo',
      '10',
    ]);
    expect(created).toMatchObject({
      policyId: expect.stringMatching(/^pol-[a-z0-9]{8}$/),
      selector: { tags: [{ key: 'tier', value: tier }] },
      destinations: [
        { region: 'ap-shanghai', retain: { count: 3 } },
        { region: 'ap-singapore', retain: { count: 3 } },
      ],
      minIntervalMinutes: 5,
      rpoMinutes: 10,
      enabled: true,
    });
    const id = created.policyId as string;

    const source = await taggedSnapshot('disk-clip0001', [`tier=${tier}`, 'env=prod']);
    expect(source).toMatchObject({
      state: 'NORMAL',
      tags: expect.arrayContaining([
        { key: 'tier', value: tier },
        { key: 'env', value: 'prod' },
      ]),
    });

    const points = await waitFor(
      async () => {
        const status = await json(['policy', 'status', id]);
        const p = status.recoveryPoints as any[];
        return p.length === 2 && p.every((x) => x.state === 'OK') && p;
      },
      { what: 'both recovery points OK', timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(points.map((p: any) => p.region).sort()).toEqual(['ap-shanghai', 'ap-singapore']);
    for (const p of points)
      expect(p).toMatchObject({ diskId: 'disk-clip0001', recoversTo: source.createdAt });

    const table = await cli(['policy', 'status', id, '--fail-on', 'AT_RISK']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/DISK.*REGION.*NEWEST COPY.*RECOVERS TO.*AGE.*STATE/);
    expect(table.stdout).toMatch(/disk-clip0001.*ap-shanghai.*snap-[a-z0-9]{8}.*OK/);
    expect(table.stdout).toMatch(new RegExp(`${id}: objective 10 min`));

    // The copy carries the source's tags and the policy's: the list filters on both.
    const copies = await json([
      'snapshot',
      'list',
      '--region',
      'ap-shanghai',
      '--tag',
      `tier=${tier}`,
      '--tag',
      `snapferry:policy=${id}`,
    ]);
    expect(copies.snapshots.map((s: any) => s.sourceSnapshotId)).toEqual([source.snapshotId]);
    const shown = await cli([
      'snapshot',
      'list',
      '--region',
      'ap-guangzhou',
      '--tag',
      `tier=${tier}`,
    ]);
    expect(shown.stdout).toMatch(/TAGS/);
    expect(shown.stdout).toMatch(new RegExp(`${source.snapshotId}.*tier=${tier}`));
    expect(
      (await json(['snapshot', 'list', '--region', 'ap-guangzhou', '--tag', `tier=${tier}x`]))
        .snapshots,
    ).toEqual([]);

    // Copied already, three kept: nothing to do now.
    expect(await json(['policy', 'preview', id])).toEqual({ copies: [], deletions: [] });
    expect((await cli(['policy', 'preview', id])).stdout).toMatch(
      /no copies to start\nnothing to delete/,
    );

    const list = await cli(['policy', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${id}.*orders-db DR.*ap-guangzhou.*tier=${tier}`));
    expect((await json(['policy', 'get', id])).policyId).toBe(id);
    expect((await runCli(['policy', 'get', id], { url: t.url, key: keys.bob })).code).toBe(1);

    expect(await cli(['policy', 'delete', id])).toEqual({
      code: 0,
      stdout: `deleted ${id}\n`,
      stderr: '',
    });
    const gone = await cli(['policy', 'get', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: ResourceNotFound\.\w+: /);
  });

  it('policy create --file - reads JSON from stdin; status --fail-on NONE exits 6 while no copy has landed', async () => {
    const created = await json(
      ['policy', 'create', '--file', '-', '--rpo', '30'],
      JSON.stringify({
        name: 'tokyo',
        sourceRegion: 'ap-guangzhou',
        selector: { diskIds: ['disk-clip0002'] },
        destinations: [{ region: 'ap-tokyo', retain: { count: 1 } }],
        rpoMinutes: 60,
      }),
    );
    expect(created).toMatchObject({ name: 'tokyo', rpoMinutes: 30 });
    await taggedSnapshot('disk-clip0002', []);
    const status = await waitFor(
      async () => {
        const run = await cli(['policy', 'status', created.policyId, '--fail-on', 'NONE']);
        return run.stdout.includes('disk-clip0002') && run;
      },
      { what: 'the disk in the status', intervalMs: 300 },
    );
    expect(status.code).toBe(6);
    expect(status.stdout).toMatch(/disk-clip0002.*ap-tokyo.*NONE/);
    expect((await cli(['policy', 'status', created.policyId, '--fail-on', 'BREACHED'])).code).toBe(
      0,
    );
    await json(['policy', 'delete', created.policyId]);
  });

  it('refusals come back as one error line with the API code, before or after the request', async () => {
    const refused = await cli([
      'policy',
      'create',
      '--name',
      'x',
      '--source-region',
      'ap-guangzhou',
      '--disk',
      'disk-clip0003',
      '--to',
      'ap-atlantis',
      '--keep',
      '1',
      '--rpo',
      '10',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: InvalidParameterValue\.Policy: .+\n$/);
    const usage = await cli(['snapshot', 'list', '--region', 'ap-guangzhou', '--tag', 'novalue']);
    expect(usage.code).toBe(2);
  });

  it('copy --deadline 30m: the copy carries the deadline', async () => {
    const source = await taggedSnapshot('disk-clip0004', []);
    const before = Date.now();
    const answer = await json([
      'copy',
      source.snapshotId,
      '--to',
      'ap-shanghai',
      '--deadline',
      '30m',
      '--wait',
    ]);
    const replication = answer.replications[0];
    expect(replication.state).toBe('COMPLETED');
    const deadline = Date.parse(replication.deadline);
    expect(deadline - before).toBeGreaterThanOrEqual(30 * 60_000 - 1_000);
    expect(deadline - before).toBeLessThan(31 * 60_000);
    const late = await cli([
      'copy',
      source.snapshotId,
      '--to',
      'ap-singapore',
      '--deadline',
      '2020-01-01T00:00:00Z',
    ]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^error: InvalidParameterValue\.\w+: .*deadline/i);
  });
});
