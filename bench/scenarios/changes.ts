import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  cephRbdAvailable,
  createRbdPool,
  rbdCommand,
  rbdDiffV1,
  startCephRgw,
  type CephRgw,
} from '@snapferry/testing';
import { nodeSha256Seconds, settleDisk } from '../lib/baselines';
import { cliCreate, cliCreateFromBase, cliRbdPipe, type CliFromBase } from '../lib/cli';
import { blockSize, DiskImage } from '../lib/images';
import type { Row } from '../lib/report';
import { percentile } from '../lib/stats';
import { destinationRegions, diskId, sourceRegion, startStack, type Stack } from '../lib/stack';
import { timeCopy } from './copy';

const run = promisify(execFile);
const KiB = 1024;
const MiB = 1024 * KiB;
const headSize = 4 * KiB; // what DiskImage.change() rewrites in a block
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `count` distinct 64 KiB-aligned offsets in the image, sorted. */
function scatteredOffsets(bytes: number, count: number, size: number): number[] {
  const slots = Math.floor(bytes / size);
  const picked = new Set<number>();
  while (picked.size < Math.min(count, slots)) picked.add(randomBytes(4).readUInt32LE(0) % slots);
  return [...picked].sort((a, b) => a - b).map((slot) => slot * size);
}

/** The files both chunk sizes work from. */
interface Inputs {
  files: string;
  image: DiskImage;
  changed: number;
  /** The changed heads of day 1 (3 × 4 KiB in 3 chunks). */
  heads: Range[];
  scattered: number[];
}

interface Range {
  offset: number;
  length: number;
}

/** The 3-head create is timed this many times; its rows show the median. */
const headRepeats = 3;

/**
 * Writes new random bytes into each range of the file: a day's writes, or the same change again
 * with bytes no chunk in the region has yet (a repeat of the same bytes would find its chunks
 * stored and write nothing, flattering the time).
 */
async function rewriteRanges(path: string, ranges: Range[]): Promise<void> {
  const file = await open(path, 'r+');
  try {
    for (const { offset, length } of ranges)
      await file.write(randomBytes(length), 0, length, offset);
  } finally {
    await file.close();
  }
}

/**
 * The 3-head create from `baseId` again, `times` times, each with new bytes in the heads (on a
 * copy of day 1, so day 1 stays the base of day 2): their seconds.
 */
async function repeatHeads(
  baseUrl: string,
  baseId: string,
  { files, heads }: Inputs,
  times: number,
  env: NodeJS.ProcessEnv = {},
): Promise<number[]> {
  const image = join(files, 'day1b.img');
  const seconds: number[] = [];
  for (let i = 0; i < times; i++) {
    await rewriteRanges(image, heads);
    await settleDisk();
    const made = await cliCreateFromBase(
      baseUrl,
      baseId,
      ['--file', image, '--changed-ranges', join(files, 'day1.json')],
      env,
    );
    seconds.push(made.seconds);
  }
  return seconds;
}

/**
 * What a day of the RBD image wrote: the copy bench's 1 % (a new 4 KiB head in 3 of the 256
 * chunks), nothing at all, or the scattered 64 KiB writes.
 */
type RbdDayKind = 'heads' | 'quiet' | 'scattered';

/** A day of the RBD image: the command that writes its diff, the file it wrote, and how long that took. */
interface RbdDay {
  kind: RbdDayKind;
  exportDiff: string;
  diffFile: string;
  exportSeconds: number;
}

/**
 * The rbd rows show the median of this many days of a kind, each diff taken from the day before.
 */
const rbdDays = 3;

/**
 * The RBD image's days in order: piped from `rbd export-diff` while Ceph runs, but for the last
 * `rbdDays`, read from their files once Ceph has stopped (its daemons share the two cores with
 * the region while they run). A quiet day's create does nothing but what every create does.
 */
const rbdPlan: RbdDayKind[] = [
  ...Array<RbdDayKind>(rbdDays).fill('heads'),
  ...Array<RbdDayKind>(rbdDays).fill('quiet'),
  ...Array<RbdDayKind>(2 * rbdDays).fill('scattered'),
];
const pipedDays = rbdPlan.length - rbdDays;

/**
 * 9. Changed-block snapshots: a disk's first full upload with the CLI, then the next
 * snapshots sent as changed ranges only (`--base --changed-ranges`): 3 of 256 chunks changed
 * (the copy bench's 1 %), and 160 scattered 64 KiB writes; beside the whole-image incremental
 * upload and the hashing floor of any upload that reads the whole image; with Ceph,
 * `rbd export-diff | snapferry snapshot create --rbd-diff -` beside `rbd export-diff` to a file:
 * three days of the copy bench's 1 %, three days with no writes (what any create costs), three
 * of the scattered writes, each on the day before; then three more scattered days from their
 * files once Ceph has stopped. The scattered writes and the rbd diff again with 512 KiB chunks (EBS's block size).
 * The 3-chunk create, a few tenths of a second, is the median of three with new bytes each
 * time; where NODE_EXTRA_CA_CERTS is set, also without it (Node 20 parses it at every start).
 */
export async function changesScenario(bytes: number, writes = 160): Promise<Row[]> {
  const files = await mkdtemp(
    join(process.env['BENCH_TMPDIR'] ?? tmpdir(), 'snapferry-bench-changes-'),
  );
  let ceph: CephRgw | undefined;
  // The Ceph daemons are unref'd children: a wait for nothing but their exit would end this process.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    const image = new DiskImage(bytes);
    await image.writeTo(join(files, 'first.img'));
    // Day 1: 1 % of the chunks changed (a new 4 KiB head each), listed as ranges.
    const changed = image.change(0.01);
    await image.writeTo(join(files, 'day1.img'));
    const heads = Array.from({ length: changed }, (_, k) => ({
      offset: Math.floor((k * image.blocks) / changed) * blockSize,
      length: headSize,
    }));
    await writeFile(join(files, 'day1.json'), JSON.stringify(heads));
    await copyFile(join(files, 'day1.img'), join(files, 'day1b.img')); // for the repeats
    // Day 2: scattered 64 KiB writes on day 1.
    await copyFile(join(files, 'day1.img'), join(files, 'day2.img'));
    const scattered = scatteredOffsets(bytes, writes, 64 * KiB);
    await rewriteRanges(
      join(files, 'day2.img'),
      scattered.map((offset) => ({ offset, length: 64 * KiB })),
    );
    await writeFile(
      join(files, 'day2.json'),
      JSON.stringify(scattered.map((offset) => ({ offset, length: 64 * KiB }))),
    );
    const inputs: Inputs = { files, image, changed, heads, scattered };
    const size = bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / MiB} MiB`;
    const scenarios = [`9 changes (${size})`, `9 changes (${size}, 512 KiB chunks)`];
    const stacks = [
      await startStack(),
      await startStack({ sourceChunkSize: 512 * KiB }), // the region's own chunkSize
    ];
    try {
      const fourMiB = await onChunks(scenarios[0]!, inputs, stacks[0]!, undefined);
      const small = await onChunks(scenarios[1]!, inputs, stacks[1]!, 512 * KiB, fourMiB.full);
      small.rows.push(...(await smallChunkCost(scenarios[1]!, files, bytes, stacks)));
      // Ceph only now: its daemons' background work must not weigh on the uploads above.
      const available = cephRbdAvailable();
      if (!available.ok) {
        process.stderr.write(`bench: rbd rows skipped: ${available.reason}\n`);
        return [...fourMiB.rows, ...small.rows];
      }
      // Room for the image and each day's clones: a 64 KiB write clones its 4 MiB RADOS object.
      const clones = (rbdDays + 2) * writes * 4 * MiB;
      ceph = await startCephRgw({ osdBytes: Math.max(2 * bytes + clones + 512 * MiB, 1024 ** 3) });
      // RBD needs no gateway: stopped, so that it takes no share of the two cores.
      await ceph.stopGateway();
      const rbd = await rbdChange(ceph, join(files, 'first.img'), inputs, writes);
      const piped = [
        await rbdPiped(stacks[0]!, fourMiB.baseId, rbd),
        await rbdPiped(stacks[1]!, small.baseId, rbd),
      ];
      await ceph.stop();
      ceph = undefined;
      const scatteredRows = async (scenario: string, stack: Stack, days: PipedDays) => [
        rbdRow(scenario, 'rbd export-diff piped into snapferry snapshot create --rbd-diff - s', {
          made: days.made.scattered,
          exported: rbd.scattered.slice(0, rbdDays),
        }),
        rbdRow(scenario, 'snapferry snapshot create --rbd-diff <the diff file>, Ceph stopped s', {
          made: await rbdFromFiles(stack, days.lastId, rbd.scattered.slice(rbdDays)),
          exported: rbd.scattered.slice(rbdDays),
        }),
      ];
      return [
        ...fourMiB.rows,
        rbdRow(
          scenarios[0]!,
          'rbd export-diff piped into snapferry snapshot create --rbd-diff - s',
          {
            about: `the copy bench's 1 %: ${changed} × 4 KiB written in ${changed} chunks`,
            made: piped[0]!.made.heads,
            exported: rbd.heads,
          },
        ),
        // Every create's own cost, beside the baseline the scattered day is held to.
        rbdRow(scenarios[0]!, 'the same for a day with no writes s', {
          about: 'nothing to rebuild: what any create from an rbd diff costs',
          made: piped[0]!.made.quiet,
          exported: rbd.scattered.slice(0, rbdDays),
          baseline: `rbd export-diff of a day of scattered writes to a file (the next row's baseline; median of ${rbdDays})`,
        }),
        ...(piped[0]!.quietBare.length > 0
          ? [
              rbdRow(scenarios[0]!, 'the same with NODE_EXTRA_CA_CERTS unset s', {
                about: 'set here; Node 20 parses the file at every start',
                made: piped[0]!.quietBare,
                exported: rbd.scattered.slice(0, rbdDays),
                baseline: `rbd export-diff of a day of scattered writes to a file (median of ${rbdDays})`,
              }),
            ]
          : []),
        ...(await scatteredRows(scenarios[0]!, stacks[0]!, piped[0]!)),
        ...small.rows,
        ...(await scatteredRows(scenarios[1]!, stacks[1]!, piped[1]!)),
      ];
    } finally {
      await Promise.all(stacks.map((stack) => stack.resources.cleanup()));
    }
  } finally {
    await ceph?.stop();
    await rm(files, { recursive: true, force: true });
    clearInterval(keepAlive);
  }
}

/** The days of the RBD image by kind, in order. */
type Rbd = Record<RbdDayKind, RbdDay[]>;

/**
 * The same first image in RBD, then `rbdPlan`'s days of new random bytes written through librbd
 * (`rbd import-diff` of a diff made here, which takes the day's snapshot; with `rbd bench` the
 * later days stored nothing: it wrote the same bytes at the same offsets), then each day's diff
 * from the day before, as `rbd export-diff` writes it, timed to a file.
 */
async function rbdChange(
  ceph: CephRgw,
  first: string,
  inputs: Inputs,
  writes: number,
): Promise<Rbd> {
  const { files, image, heads } = inputs;
  const pool = await createRbdPool(ceph.dir);
  const rbd = rbdCommand(ceph.dir).map(quote).join(' ');
  const img = `${pool}/bench`;
  const sh = (command: string) =>
    run('bash', ['-o', 'pipefail', '-c', command], { maxBuffer: 64 * MiB });
  await sh(`${rbd} import --no-progress ${quote(first)} ${img}`);
  await sh(`${rbd} snap create ${img}@day0`);
  const ranges: Record<RbdDayKind, () => Range[]> = {
    heads: () => heads,
    quiet: () => [],
    scattered: () =>
      scatteredOffsets(image.bytes, writes, 64 * KiB).map((offset) => ({
        offset,
        length: 64 * KiB,
      })),
  };
  const days: Rbd = { heads: [], quiet: [], scattered: [] };
  for (const [i, kind] of rbdPlan.entries()) {
    const day = i + 1;
    const written = join(files, `writes${day}.diff`);
    const records = ranges[kind]().map(({ offset, length }) => ({
      w: offset,
      bytes: randomBytes(length),
    }));
    await writeFile(written, rbdDiffV1(`day${day}`, image.bytes, records));
    await sh(`${rbd} import-diff --no-progress ${quote(written)} ${img}`);
    await rm(written);
    const exportDiff = `${rbd} export-diff --no-progress --from-snap day${day - 1} ${img}@day${day}`;
    await settleDisk();
    const started = performance.now();
    const diffFile = join(files, `day${day}.diff`);
    await sh(`${exportDiff} ${quote(diffFile)}`);
    const exportSeconds = (performance.now() - started) / 1000;
    days[kind].push({ kind, exportDiff, diffFile, exportSeconds });
    // A day before that no pipe reads from any more: its clones go (the OSD keeps them in memory).
    if (day - 1 > pipedDays) await sh(`${rbd} snap rm --no-progress ${img}@day${day - 1}`);
  }
  return days;
}

/** One stack (one chunk size): the first upload, then each kind of change against it. */
async function onChunks(
  scenario: string,
  inputs: Inputs,
  stack: Stack,
  chunkSize: number | undefined,
  fourMiBFull = NaN,
): Promise<{ rows: Row[]; full: number; baseId: string }> {
  const { files, image, changed, scattered } = inputs;
  const api = stack.apis[0]!;
  const gib = Math.ceil(image.bytes / 1024 ** 3);
  const disk = diskId();
  const rows: Row[] = [];
  const base = 'the first full upload with the CLI';
  await settleDisk();
  const full = await cliCreate(api.baseUrl, sourceRegion, disk, join(files, 'first.img'), gib);
  await settleDisk();
  const day1 = await cliCreateFromBase(api.baseUrl, full.snapshotId, [
    ...['--file', join(files, 'day1.img'), '--changed-ranges', join(files, 'day1.json')],
  ]);
  // A single 0.3 s create moves by tens of ms from run to run: the median of three.
  const again = await repeatHeads(api.baseUrl, full.snapshotId, inputs, headRepeats - 1);
  const headSeconds = percentile([day1.seconds, ...again], 50);
  if (!chunkSize) {
    await settleDisk();
    const wholeImage = await cliCreate(
      api.baseUrl,
      sourceRegion,
      disk,
      join(files, 'day1.img'),
      gib,
    );
    await settleDisk();
    const floor = await nodeSha256Seconds(join(files, 'day1.img'));
    rows.push(
      {
        scenario,
        figure: `create --base --changed-ranges s (${changed} of ${image.blocks} chunks changed, ${changed} × 4 KiB; median of ${headRepeats})`,
        value: headSeconds,
        unit: 's',
        baseline: base,
        baselineValue: full.seconds,
        better: 'lower',
      },
      {
        scenario,
        figure: `whole-image incremental upload s (the same change, ${(wholeImage.bytesUploaded / MiB).toFixed(0)} MiB sent)`,
        value: wholeImage.seconds,
        unit: 's',
        baseline: base,
        baselineValue: full.seconds,
        better: 'lower',
      },
      {
        scenario,
        figure: 'hashing floor of any upload that reads the whole image s',
        value: floor,
        unit: 's',
        baseline: base,
        baselineValue: full.seconds,
        better: 'lower',
      },
      ...byteRows(scenario, `the ${changed} changed heads`, day1, changed * headSize),
    );
    // This machine sets NODE_EXTRA_CA_CERTS (the system's CA bundle): Node 20 parses that file
    // at every start, before any of the CLI's code runs, whatever the URL. Shown beside.
    if (process.env['NODE_EXTRA_CA_CERTS']) {
      const bare = await repeatHeads(api.baseUrl, full.snapshotId, inputs, headRepeats, {
        NODE_EXTRA_CA_CERTS: undefined,
      });
      rows.push({
        scenario,
        figure: `the same create with NODE_EXTRA_CA_CERTS unset s (set here; Node 20 parses the file at every start; median of ${headRepeats})`,
        value: percentile(bare, 50),
        unit: 's',
        baseline: base,
        baselineValue: full.seconds,
        better: 'lower',
      });
    }
  } else
    rows.push(
      {
        scenario,
        // The bench image repeats its bytes every 4 MiB but for a 4 KiB head: at 512 KiB, seven
        // chunks in eight are the same everywhere and are sent once. Not a real disk's first upload.
        figure:
          'the first full upload with the CLI s (7 of 8 chunks of the bench image dedupe at 512 KiB: not comparable)',
        value: full.seconds,
        unit: 's',
        baseline: 'the same with 4 MiB chunks',
        baselineValue: fourMiBFull,
        better: 'lower',
      },
      {
        scenario,
        figure: `create --base --changed-ranges s (${changed} × 4 KiB: ${day1.chunksRebuilt} chunks rebuilt; median of ${headRepeats})`,
        value: headSeconds,
        unit: 's',
        baseline: 'the first full upload with the CLI, 4 MiB chunks',
        baselineValue: fourMiBFull,
        better: 'lower',
      },
    );
  await settleDisk();
  const day2 = await cliCreateFromBase(api.baseUrl, day1.snapshot.snapshotId, [
    ...['--file', join(files, 'day2.img'), '--changed-ranges', join(files, 'day2.json')],
  ]);
  const written = scattered.length * 64 * KiB;
  rows.push(
    {
      scenario,
      figure: `create --base --changed-ranges s (${scattered.length} scattered 64 KiB writes: ${day2.chunksRebuilt} chunks, ${(day2.bytesRebuilt / MiB).toFixed(0)} MiB rebuilt)`,
      value: day2.seconds,
      unit: 's',
      // With 512 KiB chunks the baseline stays the 4 MiB stack's first upload: the cost of a
      // first upload of 1 GiB of distinct data (see the row above).
      baseline: chunkSize ? 'the first full upload with the CLI, 4 MiB chunks' : base,
      baselineValue: chunkSize ? fourMiBFull : full.seconds,
      better: 'lower',
    },
    {
      scenario,
      figure: 'bytes the region rebuilt for the scattered writes, MiB',
      value: day2.bytesRebuilt / MiB,
      unit: 'MiB',
      baseline: 'the bytes written',
      baselineValue: written / MiB,
      better: 'lower',
    },
    {
      scenario,
      figure: 'bytes the region stored for them (patches over the base chunks), MiB',
      value: day2.bytesStored / MiB,
      unit: 'MiB',
      baseline: 'the bytes written',
      baselineValue: written / MiB,
      better: 'lower',
    },
    ...(chunkSize ? [] : byteRows(scenario, 'the scattered writes', day2, written)),
  );
  return { rows, full: full.seconds, baseId: full.snapshotId };
}

/**
 * What 512 KiB chunks cost where nothing dedupes: an image of random bytes uploaded with the
 * CLI and copied cold to another region, on the 512 KiB stack beside the 4 MiB one.
 */
async function smallChunkCost(
  scenario: string,
  files: string,
  bytes: number,
  [fourMiB, small]: Stack[],
): Promise<Row[]> {
  const path = join(files, 'random.img');
  const file = await open(path, 'w');
  try {
    for (let at = 0; at < bytes; at += 4 * MiB) await file.write(randomBytes(4 * MiB));
  } finally {
    await file.close();
  }
  const upload = async (stack: Stack) => {
    await settleDisk();
    const api = stack.apis[0]!;
    const first = await cliCreate(
      api.baseUrl,
      sourceRegion,
      diskId(),
      path,
      Math.ceil(bytes / 1024 ** 3),
    );
    await settleDisk();
    return {
      upload: first.seconds,
      copy: await timeCopy(api, first.snapshotId, destinationRegions[0]!),
    };
  };
  const big = await upload(fourMiB!);
  const mine = await upload(small!);
  const size = bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / MiB} MiB`;
  return [
    {
      scenario,
      figure: `first upload of ${size} of random bytes with the CLI s (nothing dedupes)`,
      value: mine.upload,
      unit: 's',
      baseline: 'the same with 4 MiB chunks',
      baselineValue: big.upload,
      better: 'lower',
    },
    {
      scenario,
      figure: 'cold copy of that snapshot to another region s',
      value: mine.copy,
      unit: 's',
      baseline: 'the same with 4 MiB chunks',
      baselineValue: big.copy,
      better: 'lower',
    },
  ];
}

/** Bytes in MiB, or KiB below one MiB. */
const shownBytes = (bytes: number) =>
  bytes < MiB ? `${(bytes / KiB).toFixed(1)} KiB` : `${(bytes / MiB).toFixed(1)} MiB`;

/** The median day of `days` by time, and how it is described. */
function medianDay(days: CliFromBase[]): { day: CliFromBase; what: string } {
  const day = days.slice().sort((a, b) => a.seconds - b.seconds)[Math.floor(days.length / 2)]!;
  const what = `a day's diff: ${shownBytes(day.bytesWritten)} of data, ${day.chunksRebuilt} chunks rebuilt, ${shownBytes(day.bytesStored)} stored; median of ${days.length} days`;
  return { day, what };
}

/** The creates of the days piped while Ceph ran, by kind, and the last snapshot made. */
interface PipedDays {
  made: Record<RbdDayKind, CliFromBase[]>;
  /** The quiet days again with NODE_EXTRA_CA_CERTS unset, where it is set (see repeatHeads). */
  quietBare: CliFromBase[];
  lastId: string;
}

/**
 * `rbd export-diff … - | snapferry snapshot create --base <yesterday's> --rbd-diff -`, a day at
 * a time from the first upload, for every day but those read from files later. A quiet day's
 * diff changes nothing, so it is piped a second time without the CA variable on the same base.
 */
async function rbdPiped(stack: Stack, baseId: string, rbd: Rbd): Promise<PipedDays> {
  const days: PipedDays = {
    made: { heads: [], quiet: [], scattered: [] },
    quietBare: [],
    lastId: baseId,
  };
  const next = { heads: 0, quiet: 0, scattered: 0 };
  const pipe = async (day: RbdDay, env?: NodeJS.ProcessEnv) => {
    await settleDisk();
    const piped = await cliRbdPipe(stack.apis[0]!.baseUrl, days.lastId, `${day.exportDiff} -`, env);
    days.lastId = piped.snapshot.snapshotId;
    return piped;
  };
  for (const kind of rbdPlan.slice(0, pipedDays)) {
    const day = rbd[kind][next[kind]++]!;
    days.made[kind].push(await pipe(day));
    if (kind === 'quiet' && process.env['NODE_EXTRA_CA_CERTS'])
      days.quietBare.push(await pipe(day, { NODE_EXTRA_CA_CERTS: undefined }));
  }
  return days;
}

/**
 * The last days' diffs from their files, `snapshot create --rbd-diff dayN.diff`, once Ceph has
 * stopped: what the region's side costs without Ceph's daemons on the same cores.
 */
async function rbdFromFiles(stack: Stack, baseId: string, days: RbdDay[]): Promise<CliFromBase[]> {
  const made: CliFromBase[] = [];
  let base = baseId;
  for (const day of days) {
    await settleDisk();
    const one = await cliCreateFromBase(stack.apis[0]!.baseUrl, base, ['--rbd-diff', day.diffFile]);
    made.push(one);
    base = one.snapshot.snapshotId;
  }
  return made;
}

/**
 * The median of `made` beside the median time `rbd export-diff` took to write `exported` to
 * files (by default the same days).
 */
function rbdRow(
  scenario: string,
  figure: string,
  days: { made: CliFromBase[]; exported: RbdDay[]; about?: string; baseline?: string },
): Row {
  const { day, what } = medianDay(days.made);
  return {
    scenario,
    figure: `${figure} (${days.about ? `${days.about}; ` : ''}${what})`,
    value: day.seconds,
    unit: 's',
    baseline:
      days.baseline ??
      `rbd export-diff of the same day to a file (median of ${days.exported.length})`,
    baselineValue: percentile(
      days.exported.map((d) => d.exportSeconds),
      50,
    ),
    better: 'lower',
  };
}

/** What the CLI read from the image and sent, beside the bytes that changed. */
const byteRows = (scenario: string, what: string, made: CliFromBase, changed: number): Row[] => [
  {
    scenario,
    figure: `bytes the CLI read from the image, KiB (${what})`,
    value: made.bytesRead / KiB,
    unit: 'KiB',
    baseline: 'the changed bytes',
    baselineValue: changed / KiB,
    better: 'lower',
  },
  {
    scenario,
    figure: `bytes the CLI sent, KiB (${what}; 17 a range + 54 of framing)`,
    value: made.bytesSent / KiB,
    unit: 'KiB',
    baseline: 'the changed bytes',
    baselineValue: changed / KiB,
    better: 'lower',
  },
];
