import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cephRbdAvailable,
  createRbdPool,
  rbdCommand,
  rbdDiffV1,
  startCephRgw,
  type CephRgw,
} from '@snapferry/testing';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { runCliJson } from '../support/cli-process';

const MiB = 1024 * 1024;
const bin = resolve(__dirname, '..', '..', 'bin', 'snapferry.js');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A shell pipeline, as a user types it; resolves with its stdout (exit 0) or throws with stderr. */
function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<Buffer> {
  const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
    env: { PATH: process.env['PATH'], ...env },
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done, fail) =>
    child.on('close', (code) =>
      code === 0 ? done(Buffer.concat(out)) : fail(new Error(`${command} exited ${code}: ${err}`)),
    ),
  );
}

/**
 * The "rbd diff v2" streams inside an `rbd export --export-format 2` image (doc/dev/rbd-export.rst:
 * header, tagged metadata up to 'E', "rbd image diffs v2\n", le64 count, then the diffs, each
 * ending with 'e': Export.cc's do_export_v2).
 */
function embeddedDiffs(image: Buffer): Buffer[] {
  let at = 'rbd image v2\n'.length;
  while (image[at] !== 'E'.charCodeAt(0)) at += 9 + Number(image.readBigUInt64LE(at + 1));
  at += 1 + 'rbd image diffs v2\n'.length;
  const count = Number(image.readBigUInt64LE(at));
  at += 8;
  const diffs: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const start = at;
    at += 'rbd diff v2\n'.length;
    while (image[at] !== 'e'.charCodeAt(0))
      // 'p' (protection status) says 8 bytes follow but writes one.
      at += 9 + (image[at] === 0x70 ? 1 : Number(image.readBigUInt64LE(at + 1)));
    at += 1;
    diffs.push(image.subarray(start, at));
  }
  return diffs;
}

const rbd = cephRbdAvailable();
if (!rbd.ok) console.warn(`rbd export-diff tests skipped: ${rbd.reason}`);

/**
 * Ceph's own `rbd` makes the diffs: `rbd export-diff … | snapferry snapshot create --base …
 * --rbd-diff -` must give a snapshot whose bytes are `rbd export` of the same image snapshot.
 */
(rbd.ok ? describe : describe.skip)('snapshots from rbd export-diff streams (real Ceph)', () => {
  let ceph: CephRgw;
  let t: TestCatalog;
  let dir: string;
  let image: string;
  const cliEnv = () => ({ SNAPFERRY_URL: t.url, SNAPFERRY_API_KEY: keys.alice });
  const rbdSh = () => rbdCommand(ceph.dir).map(quote).join(' ');
  const cli = (args: string[]) => runCliJson(args, { url: t.url, key: keys.alice });
  const snapferry = `${quote(process.execPath)} ${quote(bin)}`;
  const bytesOf = async (id: string) =>
    (await t.api.as(keys.alice).get(`/v1/snapshots/${id}/data`)).body as Buffer;

  beforeAll(async () => {
    [ceph, t, dir] = await Promise.all([
      startCephRgw({ osdBytes: 1024 ** 3 }),
      startTestCatalog(),
      mkdtemp(join(tmpdir(), 'snapferry-rbd-')),
    ]);
    const pool = await createRbdPool(ceph.dir);
    image = `${pool}/disk`;
    await writeFile(join(dir, 'mon.img'), randomBytes(8 * MiB));
    await sh(`${rbdSh()} import --object-size 1M ${quote(join(dir, 'mon.img'))} ${image}`);
    await sh(`${rbdSh()} snap create ${image}@mon`);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([ceph?.stop(), t?.stop(), dir && rm(dir, { recursive: true, force: true })]);
  });

  it('v1 from stdin, v2 from a file, zeroed extents and a resize: each snapshot reads back as rbd export of the same image snapshot', async () => {
    // Monday: the whole image, the plain way.
    await sh(`${rbdSh()} export ${image}@mon ${quote(join(dir, 'mon.raw'))}`);
    const mon = await cli([
      'snapshot',
      'create',
      '--region',
      'ap-guangzhou',
      '--disk',
      'disk-rbd00001',
      '--file',
      join(dir, 'mon.raw'),
    ]);
    expect(mon.state).toBe('NORMAL');

    // Tuesday: 24 scattered 4 KiB writes through librbd; the v1 diff piped from stdin.
    await sh(
      `${rbdSh()} bench --io-type write --io-size 4K --io-total 96K --io-pattern rand ${image}`,
    );
    await sh(`${rbdSh()} snap create ${image}@tue`);
    const tue = JSON.parse(
      (
        await sh(
          `${rbdSh()} export-diff --from-snap mon ${image}@tue - | ${snapferry} snapshot create --base ${mon.snapshotId} --rbd-diff - --json`,
          cliEnv(),
        )
      ).toString(),
    );
    expect(tue.snapshot).toMatchObject({
      state: 'NORMAL',
      baseSnapshotId: mon.snapshotId,
      digest: null,
    });
    expect(tue.rbd).toEqual({ fromSnapshot: 'mon', toSnapshot: 'tue' });
    expect(tue.bytesRead).toBeLessThanOrEqual(2 * MiB); // the changed extents, not the image
    expect(
      (await bytesOf(tue.snapshot.snapshotId)).equals(await sh(`${rbdSh()} export ${image}@tue -`)),
    ).toBe(true);

    // Wednesday: new bytes and a discarded megabyte (rbd lists it as zero data), from a file.
    const diff = rbdDiffV1('wed', 8 * MiB, [
      { w: 100_000, bytes: randomBytes(5000) },
      { z: 3 * MiB, length: MiB },
      { w: 7 * MiB + 17, bytes: randomBytes(70_000) },
    ]);
    await writeFile(join(dir, 'made.diff'), diff);
    await sh(`${rbdSh()} import-diff ${quote(join(dir, 'made.diff'))} ${image}`);
    await sh(`${rbdSh()} export-diff --from-snap tue ${image}@wed ${quote(join(dir, 'wed.diff'))}`);
    expect((await readFile(join(dir, 'wed.diff'))).subarray(0, 12).toString()).toBe(
      'rbd diff v1\n',
    );
    const wed = await cli([
      'snapshot',
      'create',
      '--base',
      tue.snapshot.snapshotId,
      '--rbd-diff',
      join(dir, 'wed.diff'),
    ]);
    expect(wed.rangesZeroed).toBeGreaterThan(0);
    expect(
      (await bytesOf(wed.snapshot.snapshotId)).equals(await sh(`${rbdSh()} export ${image}@wed -`)),
    ).toBe(true);

    // Thursday: the disk grew by 4 MiB (zeros) and its first 8 KiB were written again.
    await sh(`${rbdSh()} resize --size 12M ${image}`);
    await sh(
      `${rbdSh()} bench --io-type write --io-size 4K --io-total 8K --io-pattern seq ${image}`,
    );
    await sh(`${rbdSh()} snap create ${image}@thu`);
    const thu = JSON.parse(
      (
        await sh(
          `${rbdSh()} export-diff --from-snap wed ${image}@thu - | ${snapferry} snapshot create --base ${wed.snapshot.snapshotId} --rbd-diff - --json`,
          cliEnv(),
        )
      ).toString(),
    );
    expect(thu.snapshot.sizeBytes).toBe(12 * MiB);
    expect(
      (await bytesOf(thu.snapshot.snapshotId)).equals(await sh(`${rbdSh()} export ${image}@thu -`)),
    ).toBe(true);

    // v2: this rbd writes it inside `rbd export --export-format 2` (one diff per snapshot).
    const diffs = embeddedDiffs(await sh(`${rbdSh()} export --export-format 2 ${image}@tue -`));
    // 'f' le64 7 le32 3 "mon", then 't' le64 7 le32 3 "tue", right after the banner.
    const names = (d: Buffer) => `${d.toString('latin1', 25, 28)} ${d.toString('latin1', 41, 44)}`;
    const monToTue = diffs.find((d) => d[12] === 0x66 && names(d) === 'mon tue');
    expect(monToTue?.subarray(0, 12).toString()).toBe('rbd diff v2\n');
    await writeFile(join(dir, 'tue-v2.diff'), monToTue!);
    const tue2 = await cli([
      'snapshot',
      'create',
      '--base',
      mon.snapshotId,
      '--rbd-diff',
      join(dir, 'tue-v2.diff'),
    ]);
    expect(tue2.rbd).toEqual({ fromSnapshot: 'mon', toSnapshot: 'tue' });
    expect(tue2.snapshot.root).toBe(tue.snapshot.root);
    expect(
      (await bytesOf(tue2.snapshot.snapshotId)).equals(
        await sh(`${rbdSh()} export ${image}@tue -`),
      ),
    ).toBe(true);
  });
});
