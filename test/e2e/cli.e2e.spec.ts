import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { manifestRoot } from '@snapferry/storage';
import { waitFor } from '@snapferry/testing';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';

const root = resolve(__dirname, '..', '..');
const bin = join(root, 'bin', 'snapferry.js');
const chunkSize = 64 * 1024; // the harness's SNAPFERRY_CHUNK_SIZE

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `snapferry …` as a real process, as a user runs it: only the documented variables. */
function snapferry(
  args: string[],
  options: { key?: string; url?: string; script?: string } = {},
): { done: Promise<Run>; kill(): void } {
  const child = spawn(process.execPath, [options.script ?? bin, ...args], {
    cwd: root,
    env: {
      PATH: process.env['PATH'],
      SNAPFERRY_URL: options.url ?? t.url,
      SNAPFERRY_API_KEY: options.key ?? keys.alice,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolveRun) =>
    child.on('close', (code) => resolveRun({ code, stdout, stderr })),
  );
  return { done, kill: () => child.kill() };
}
const cli = (args: string[], options?: { key?: string; url?: string; script?: string }) =>
  snapferry(args, options).done;
const json = async (args: string[], options?: { key?: string }) => {
  const run = await cli([...args, '--json'], options);
  if (run.code !== 0)
    throw new Error(`snapferry ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
};

/** A port nothing listens on (bound, then released). */
const freePort = () =>
  new Promise<number>((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });

let t: TestCatalog;
let replicator: RunningReplicator;
let work: string;

/** A disk image of random bytes (unique chunks), created with the CLI; returns the snapshot. */
async function createSnapshot(bytes: Buffer, extra: string[] = []) {
  const file = join(work, `image-${randomBytes(4).toString('hex')}.img`);
  await writeFile(file, bytes);
  return {
    file,
    snapshot: await json([
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-c1100001',
      '--file',
      file,
      ...extra,
    ]),
  };
}

describe('snapferry CLI end to end (spawned processes against catalog + replicator)', () => {
  beforeAll(async () => {
    t = await startTestCatalog();
    replicator = await startReplicator({
      ...t.env,
      REPLICATOR_REGIONS: 'ap-shanghai,ap-singapore',
      REPLICATOR_PORT: '0',
    });
    work = await mkdtemp(join(tmpdir(), 'snapferry-cli-'));
  });
  afterAll(async () => {
    await replicator?.stop();
    await t?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('admin beta enable/disable: operators only', async () => {
    const refused = await cli(['admin', 'beta', 'enable', 'alice']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: UnauthorizedOperation\.OperatorOnly: .+\n$/);
    expect(await json(['admin', 'beta', 'disable', 'alice'], { key: keys.operator })).toEqual({
      accountId: 'alice',
      betaEnabled: false,
    });
    const enabled = await cli(['admin', 'beta', 'enable', 'alice'], { key: keys.operator });
    expect(enabled).toEqual({
      code: 0,
      stdout: 'cross-region replication enabled for alice\n',
      stderr: '',
    });
  });

  it('regions: a table for people, the catalog with quota use for scripts', async () => {
    const table = await cli(['regions']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ap-guangzhou\s+│\s+South China \(Guangzhou\)/);
    const answer = await json(['regions']);
    expect(answer.regions.find((r: any) => r.id === 'ap-singapore')).toMatchObject({
      geography: 'asia-pacific',
      snapshotsUsed: expect.any(Number),
    });
  });

  it('snapshot create uploads the file with a progress bar; get, rename, list and delete', async () => {
    const image = randomBytes(2 * chunkSize + 77);
    const file = join(work, 'disk.img');
    await writeFile(file, image);
    const created = await cli([
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-c1100002',
      '--file',
      file,
      '--name',
      'before',
      '--json',
      '--progress',
    ]);
    expect(created.code).toBe(0);
    const snapshot = JSON.parse(created.stdout); // stdout holds only the JSON; the bar went to stderr
    expect(snapshot).toMatchObject({
      state: 'NORMAL',
      sizeBytes: image.length,
      diskSizeGiB: 1,
      diskUsage: 'DATA_DISK',
      name: 'before',
    });
    expect(snapshot.digest).toBe(createHash('sha256').update(image).digest('hex'));
    expect(created.stderr).toMatch(new RegExp(`upload ${snapshot.snapshotId} \\[.*\\] 100%`));
    const id: string = snapshot.snapshotId;

    const shown = await cli(['snapshot', 'get', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+│ NORMAL/);
    expect(shown.stdout).toMatch(/disk\s+│ disk-c1100002 \(DATA_DISK, 1 GiB\)/);

    expect((await json(['snapshot', 'rename', id, 'after'])).name).toBe('after');
    const page = await json([
      'snapshot',
      'list',
      '--region',
      'ap-guangzhou',
      '--state',
      'NORMAL',
      '--disk',
      'disk-c1100002',
      '--offset',
      '0',
      '--limit',
      '5',
    ]);
    expect(page).toMatchObject({
      region: 'ap-guangzhou',
      total: 1,
      limit: 5,
      snapshots: [{ snapshotId: id, name: 'after' }],
    });
    const listed = await cli([
      'snapshot',
      'list',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-c1100002',
    ]);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+│ after\\s+│ NORMAL`));
    expect(listed.stdout).toMatch(/ap-guangzhou: 1-1 of 1\n$/);

    expect(await cli(['snapshot', 'delete', id])).toEqual({
      code: 0,
      stdout: `deleted ${id}\n`,
      stderr: '',
    });
    const gone = await cli(['snapshot', 'get', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(
      new RegExp(`^error: ResourceNotFound\\.Snapshot: snapshot ${id} does not exist\\n$`),
    );
  });

  it('snapshot create: --disk-size, --disk-usage SYSTEM_DISK, and a human summary', async () => {
    const file = join(work, 'system.img');
    await writeFile(file, randomBytes(1000));
    const run = await cli([
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-c1100003',
      '--file',
      file,
      '--disk-usage',
      'SYSTEM_DISK',
      '--disk-size',
      '40',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/disk\s+│ disk-c1100003 \(SYSTEM_DISK, 40 GiB\)/);
    expect(run.stderr).toBe(''); // not a terminal and no --progress: no bar
    const id = /snap-[a-z0-9]{8}/.exec(run.stdout)![0];
    const copy = await cli(['copy', id, '--to', 'ap-shanghai']);
    expect(copy.code).toBe(1);
    expect(copy.stderr).toMatch(/^error: UnsupportedOperation\.SystemDiskSnapshot: /);
  });

  it('copy --wait to two regions (exit 0), replication get/list, data get reads each copy back byte-identical', async () => {
    const image = randomBytes(3 * chunkSize + 123);
    const { file, snapshot } = await createSnapshot(image);
    const run = await cli([
      'copy',
      snapshot.snapshotId,
      '--to',
      'ap-shanghai,ap-singapore',
      '--client-token',
      `tok-${snapshot.snapshotId}`,
      '--wait',
      '--json',
      '--progress',
    ]);
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer.results.map((r: any) => [r.destinationRegion, r.code])).toEqual([
      ['ap-shanghai', 'Success'],
      ['ap-singapore', 'Success'],
    ]);
    expect(answer.replications.map((r: any) => r.state)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(run.stderr).toMatch(/ap-shanghai {2}snap-[a-z0-9]{8} \[.*\] 100% COMPLETED \(NORMAL\)/);
    expect(run.stderr).toMatch(/ap-singapore snap-[a-z0-9]{8} \[.*\] 100% COMPLETED \(NORMAL\)/);

    // the same client token answers the same and starts nothing
    const again = await json([
      'copy',
      snapshot.snapshotId,
      '--to',
      'ap-shanghai,ap-singapore',
      '--client-token',
      `tok-${snapshot.snapshotId}`,
    ]);
    expect(again.results).toEqual(answer.results);

    const [first] = answer.results;
    const replication = await json(['replication', 'get', first.replicationId]);
    expect(replication).toMatchObject({
      state: 'COMPLETED',
      sourceSnapshotId: snapshot.snapshotId,
      targetRegion: 'ap-shanghai',
      bytesTotal: image.length,
    });
    expect((await cli(['replication', 'get', first.replicationId])).stdout).toMatch(
      /chunks\s+│ 4 copied, 0 already there/,
    );
    const listed = await json(['replication', 'list', '--source', snapshot.snapshotId]);
    expect(listed.replications.map((r: any) => r.targetRegion).sort()).toEqual([
      'ap-shanghai',
      'ap-singapore',
    ]);
    expect((await cli(['replication', 'list'])).stdout).toContain(first.replicationId);

    for (const result of answer.results) {
      const out = join(work, `${result.snapshotId}.img`);
      const read = await cli(['data', 'get', result.snapshotId, '-o', out, '--json']);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toMatchObject({
        bytes: image.length,
        resumedFrom: 0,
        digest: snapshot.digest,
      });
      expect((await readFile(out)).equals(await readFile(file))).toBe(true);
    }

    // an interrupted read resumes from where it stopped, and the whole file is verified
    const partial = join(work, 'partial.img');
    await writeFile(partial, image.subarray(0, chunkSize + 5));
    const resumed = await cli(['data', 'get', first.snapshotId, '-o', partial, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from\s+│ 65541/);
    expect(resumed.stdout).toMatch(/\(verified\)/);
    expect((await readFile(partial)).equals(image)).toBe(true);
    expect(
      (await cli(['data', 'get', first.snapshotId, '-o', partial, '--resume', '--json'])).code,
    ).toBe(0); // already complete
    await writeFile(partial, Buffer.from('0123456789'));
    const corrupt = await cli(['data', 'get', first.snapshotId, '-o', partial, '--resume']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/does not match the snapshot's digest/);
  });

  it("refusals: a destination's code (exit 1), and a source that is copying cannot be deleted", async () => {
    const { snapshot } = await createSnapshot(randomBytes(5000));
    const id: string = snapshot.snapshotId;
    // ap-beijing has no replicator here: that copy stays in flight
    const run = await cli([
      'copy',
      id,
      '--to',
      'ap-beijing,ap-guangzhou,eu-frankfurt',
      '--name',
      'dr copy',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ap-beijing\s+│ Success/);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(/^error: InvalidParameterValue\.Region: ap-guangzhou: /),
      expect.stringMatching(/^error: UnsupportedOperation\.GeoRestricted: eu-frankfurt: /),
      '',
    ]);
    const source = await json(['snapshot', 'get', id]);
    expect(source.copyingToRegions).toMatchObject([{ region: 'ap-beijing' }]);
    expect((await cli(['snapshot', 'get', id])).stdout).toMatch(
      /COPYING TO.*\n(.*\n)*.*ap-beijing/,
    );
    const target = await json(['snapshot', 'get', source.copyingToRegions[0].snapshotId]);
    expect(target).toMatchObject({
      name: 'dr copy',
      state: 'COPYING_FROM_REMOTE',
      copyFromRemote: true,
    });
    const refused = await cli(['snapshot', 'delete', id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^error: UnsupportedOperation\\.SnapshotCopying: .*${id}.*\\n$`),
    );
  });

  it('copy --wait exits 3 when a copy fails (a corrupt source chunk)', async () => {
    const image = randomBytes(2 * chunkSize);
    const { snapshot } = await createSnapshot(image);
    const digest = createHash('sha256').update(image.subarray(chunkSize)).digest('hex');
    await writeFile(
      join(t.dataDir, 'ap-guangzhou', 'chunks', digest.slice(0, 2), digest),
      randomBytes(chunkSize),
    );
    const run = await cli(['copy', snapshot.snapshotId, '--to', 'ap-singapore', '--wait']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/ap-singapore\s+│ snap-[a-z0-9]{8}\s+│ FAILED/);
    expect(run.stderr).toMatch(
      /^error: copy to ap-singapore \(snap-[a-z0-9]{8}\) ended FAILED: .+\n$/,
    );
  });

  it('snapshot create uploads only what the region lacks: a second snapshot of the same disk sends the changed chunks', async () => {
    const image = randomBytes(16 * chunkSize + 500);
    const file = join(work, 'daily.img');
    await writeFile(file, image);
    const create = (extra: string[] = []) =>
      cli([
        'snapshot',
        'create',
        '--region',
        'ap-guangzhou',
        '--disk',
        'disk-c1100009',
        '--file',
        file,
        '--json',
        ...extra,
      ]);
    const first = await create();
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      state: 'NORMAL',
      sizeBytes: image.length,
      digest: createHash('sha256').update(image).digest('hex'),
      bytesUploaded: image.length,
      bytesSkipped: 0,
      chunksUploaded: 17,
      chunksSkipped: 0,
    });

    // The next day: three chunks changed.
    for (const index of [1, 8, 16]) randomBytes(64).copy(image, index * chunkSize + 3);
    await writeFile(file, image);
    const second = await create(['--progress']);
    expect(second.code).toBe(0);
    const snapshot = JSON.parse(second.stdout);
    expect(snapshot).toMatchObject({
      state: 'NORMAL',
      digest: createHash('sha256').update(image).digest('hex'),
      bytesUploaded: 2 * chunkSize + 500,
      bytesSkipped: 14 * chunkSize,
      chunksUploaded: 3,
      chunksSkipped: 14,
    });
    expect(second.stderr).toMatch(
      new RegExp(
        `upload ${snapshot.snapshotId} \\[.*\\] 100% uploaded 128\\.5 KiB of 1\\.00 MiB, 14 chunks already in the region`,
      ),
    );
    const out = join(work, 'daily-back.img');
    expect((await cli(['data', 'get', snapshot.snapshotId, '-o', out])).code).toBe(0);
    expect((await readFile(out)).equals(image)).toBe(true);
  });

  it('snapshot upload resumes an interrupted upload: only the chunks not yet sent go', async () => {
    const image = randomBytes(6 * chunkSize);
    const file = join(work, 'interrupted.img');
    await writeFile(file, image);
    const alice = t.api.as(keys.alice);
    const id = (
      await alice.post('/v1/snapshots', {
        region: 'ap-guangzhou',
        diskId: 'disk-c1100010',
        diskUsage: 'DATA_DISK',
        diskSizeGiB: 1,
      })
    ).body.snapshotId as string;
    // What an upload killed midway leaves: its manifest declared and two chunks sent.
    const chunks = Array.from({ length: 6 }, (_, i) => {
      const bytes = image.subarray(i * chunkSize, (i + 1) * chunkSize);
      return {
        digest: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        bytes,
      };
    });
    const declared = chunks.map(({ digest, size }) => ({ digest, size }));
    const plan = await alice.post(`/v1/snapshots/${id}/data/manifest`, {
      chunkSize,
      imageDigest: createHash('sha256').update(image).digest('hex'),
      root: manifestRoot(declared),
      chunks: declared,
    });
    expect(plan.body.chunksMissing).toBe(6);
    for (const { digest, bytes } of chunks.slice(0, 2))
      expect((await alice.put(`/v1/snapshots/${id}/data/chunks/${digest}`, bytes)).status).toBe(
        201,
      );
    expect((await alice.get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');

    const resumed = await json(['snapshot', 'upload', id, '--file', file]);
    expect(resumed).toMatchObject({
      snapshotId: id,
      state: 'NORMAL',
      chunksUploaded: 4,
      chunksSkipped: 2,
      bytesUploaded: 4 * chunkSize,
    });
  });

  it('admin scrub: a table, exit 0 when clean and 5 when a chunk is corrupt, the report as JSON', async () => {
    const refused = await cli(['admin', 'scrub', 'eu-frankfurt']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: UnauthorizedOperation\.OperatorOnly: /);
    const unknown = await cli(['admin', 'scrub', 'xx-nowhere'], { key: keys.operator });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: InvalidParameterValue\.Region: /);

    const image = randomBytes(3 * chunkSize);
    const file = join(work, 'scrubbed.img');
    await writeFile(file, image);
    const snapshot = await json([
      'snapshot',
      'create',
      '--region',
      'eu-frankfurt',
      '--disk',
      'disk-c1100011',
      '--file',
      file,
    ]);
    const clean = await cli(['admin', 'scrub', 'eu-frankfurt'], { key: keys.operator });
    expect(clean).toEqual({
      code: 0,
      stdout: 'eu-frankfurt: 3 chunks (192.0 KiB) checked, 0 corrupt, 0 missing\nno damage found\n',
      stderr: '',
    });

    const digest = createHash('sha256')
      .update(image.subarray(chunkSize, 2 * chunkSize))
      .digest('hex');
    const path = join(t.dataDir, 'eu-frankfurt', 'chunks', digest.slice(0, 2), digest);
    const bytes = await readFile(path);
    bytes[10] = bytes[10]! ^ 0x01;
    await writeFile(path, bytes);
    const damaged = await cli(['admin', 'scrub', 'eu-frankfurt', '--json'], { key: keys.operator });
    expect(damaged.code).toBe(5);
    expect(JSON.parse(damaged.stdout)).toEqual({
      region: 'eu-frankfurt',
      chunksChecked: 3,
      bytesChecked: 2 * chunkSize,
      corrupt: [{ digest, snapshots: [snapshot.snapshotId] }],
      missing: [],
    });
    const table = await cli(['admin', 'scrub', 'eu-frankfurt'], { key: keys.operator });
    expect(table.code).toBe(5); // removed by the first scrub: now missing from the snapshot
    expect(table.stdout).toMatch(new RegExp(`missing\\s+│ ${digest}\\s+│ ${snapshot.snapshotId}`));
  });

  it('events: a page as a table or JSON, and --follow prints new events live', async () => {
    const { snapshot } = await createSnapshot(randomBytes(100));
    const page = await json(['events', '--type', 'SnapshotRegistered', '--limit', '1000']);
    expect(page.events.map((e: any) => e.streamId)).toContain(`snapshot-${snapshot.snapshotId}`);
    const table = await cli(['events', '--stream', `snapshot-${snapshot.snapshotId}`]);
    expect(table.stdout).toMatch(/SnapshotRegistered\s+│ snapshot-snap-/);
    expect(table.stdout).toMatch(/next page: --after \d+\n$/);
    const after = (await json(['events', '--after', page.next, '--limit', '1000'])).next;

    const follower = snapferry([
      'events',
      '--follow',
      '--type',
      'SnapshotRenamed',
      '--after',
      after,
      '--limit',
      '1',
      '--json',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    await json(['snapshot', 'rename', snapshot.snapshotId, 'followed']);
    const timer = setTimeout(() => follower.kill(), 20_000); // a follower that never ends fails below, not by hanging
    const followed = await follower.done.finally(() => clearTimeout(timer));
    expect(followed).toMatchObject({ code: 0, stderr: '' });
    const lines = followed.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      type: 'SnapshotRenamed',
      streamId: `snapshot-${snapshot.snapshotId}`,
      data: { name: 'followed' },
    });

    const human = await cli(['events', '--follow', '--after', '0', '--limit', '2']);
    expect(human.code).toBe(0);
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('admin projections rebuild: operators only; the read models come back from the log', async () => {
    const { snapshot } = await createSnapshot(randomBytes(300), ['--name', 'survives rebuild']);
    expect((await cli(['admin', 'projections', 'rebuild'])).stderr).toMatch(
      /^error: UnauthorizedOperation\.OperatorOnly: /,
    );
    expect(await json(['admin', 'projections', 'rebuild'], { key: keys.operator })).toEqual({
      rebuilt: true,
    });
    const back = await waitFor(
      async () => {
        const run = await cli(['snapshot', 'get', snapshot.snapshotId, '--json']);
        return run.code === 0 && JSON.parse(run.stdout);
      },
      { what: 'the snapshot back after the rebuild' },
    );
    expect(back).toMatchObject({ name: 'survives rebuild', state: 'NORMAL' });
  });

  it('exit codes: 2 for usage, 4 when the API cannot be reached, and a build hint without dist/', async () => {
    const usage = await cli(['snapshot', 'create', '--region', 'ap-guangzhou']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: required option/);
    const closed = await freePort();
    const down = await cli(['snapshot', 'list', '--region', 'ap-guangzhou'], {
      url: `http://127.0.0.1:${closed}`,
    });
    expect(down).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: cannot reach the API at http://127.0.0.1:${closed}: ECONNREFUSED\n`,
    });
    const badKey = await cli(['regions'], { key: 'not-a-key' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^error: AuthFailure\.InvalidApiKey: /);

    const unbuilt = join(work, 'unbuilt');
    await mkdir(join(unbuilt, 'bin'), { recursive: true });
    await copyFile(bin, join(unbuilt, 'bin', 'snapferry.js'));
    const hint = await cli(['regions'], { script: join(unbuilt, 'bin', 'snapferry.js') });
    expect(hint.code).toBe(2);
    expect(hint.stderr).toMatch(/^error: the CLI is not built .*npm run build.*\n$/);
  });
});
