import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@snapferry/testing';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { putEarlyAnswered, registration } from '../support/e2e-helpers';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** A small tmpfs as the data directory, so the disk can really fill up; undefined where mounting is refused. */
async function smallDisk(): Promise<{ dir: string; unmount(): Promise<void> } | string> {
  const dir = await mkdtemp(join(tmpdir(), 'snapferry-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir], { timeout: 10_000 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir], { timeout: 10_000 });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const manifestsIn = (dir: string, region: string) =>
  readdir(join(dir, region, 'manifests')).catch(() => [] as string[]);

describe('a full data directory', () => {
  let disk: Awaited<ReturnType<typeof smallDisk>>;
  let t: TestStack | undefined;
  beforeAll(async () => {
    disk = await smallDisk();
    if (typeof disk === 'string') {
      process.stdout.write(`SKIPPED disk-full tests: ${disk}\n`);
      return;
    }
    t = await startTestStack({ catalogEnv: { SNAPFERRY_DATA_DIR: disk.dir } });
  });
  afterAll(async () => {
    await t?.stop();
    if (typeof disk !== 'string') await disk?.unmount();
  });

  it('refuses an upload with 507, keeps nothing that looks valid, and accepts it once space is freed', async () => {
    if (!t || typeof disk === 'string') return;
    const alice = t.api.as(keys.alice);
    const filler = join(disk.dir, 'filler');
    await writeFile(filler, Buffer.alloc(5 * MiB));
    const created = await alice.post('/v1/snapshots', registration({ diskId: 'disk-f0110001' }));
    const id = created.body.snapshotId as string;
    const image = randomBytes(2 * MiB);

    const refused = await putEarlyAnswered(t.url, `/v1/snapshots/${id}/data`, keys.alice, image);
    expect(refused.status).toBe(507);
    expect(refused.body.error.code).toBe('ResourceInsufficient.StorageFull');
    expect((await alice.get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
    expect(await manifestsIn(disk.dir, 'ap-guangzhou')).toEqual([]);

    await rm(filler);
    const stored = await alice.put(`/v1/snapshots/${id}/data`, image);
    expect(stored.status).toBe(200);
    expect(stored.body.state).toBe('NORMAL');
    const back = await alice.get(`/v1/snapshots/${id}/data`);
    expect(Buffer.compare(back.body, image)).toBe(0);
  });

  it('fails a copy with a reason that says so, and a new copy works once space is freed', async () => {
    if (!t || typeof disk === 'string') return;
    const alice = t.api.as(keys.alice);
    const created = await alice.post('/v1/snapshots', registration({ diskId: 'disk-f0110002' }));
    const source = created.body.snapshotId as string;
    const image = randomBytes(MiB);
    expect((await alice.put(`/v1/snapshots/${source}/data`, image)).status).toBe(200);

    // Leave well under a megabyte free (the tmpfs holds both regions' stores).
    const filler = join(disk.dir, 'filler');
    await writeFile(filler, Buffer.alloc(6 * MiB - 3 * MiB - 512 * 1024));
    const copy = async () => {
      const answer = await alice.post(`/v1/snapshots/${source}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      expect(answer.body.results[0].code).toBe('Success');
      return answer.body.results[0] as { replicationId: string; snapshotId: string };
    };
    const first = await copy();
    const failed = await waitFor(async () => {
      const r = (await alice.get(`/v1/replications/${first.replicationId}`)).body;
      return r.state === 'FAILED' && r;
    });
    expect(failed.error).toMatch(/full|no space/i);
    expect((await alice.get(`/v1/snapshots/${first.snapshotId}`)).body.state).toBe('FAILED');
    expect(await manifestsIn(disk.dir, 'ap-shanghai')).toEqual([]);

    await rm(filler);
    const second = await copy();
    await waitFor(
      async () =>
        (await alice.get(`/v1/replications/${second.replicationId}`)).body.state === 'COMPLETED',
    );
    const back = await alice.get(`/v1/snapshots/${second.snapshotId}/data`);
    expect(Buffer.compare(back.body, image)).toBe(0);
  });
});
