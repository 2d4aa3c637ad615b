import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { credentialVariables } from '@snapferry/storage';
import { type CephRgw, cephRgwAvailable, startCephRgw } from '@snapferry/testing';
import { Api, benchApiKeys } from '../lib/api';
import { DiskImage } from '../lib/images';
import type { Row } from '../lib/report';
import { Resources } from '../lib/resources';
import type { BaselineJob, BaselineResult } from '../lib/s3-copy-baseline';
import { cpuSeconds, procKiB, Service } from '../lib/service';
import { benchEnv, diskId, writeBenchRegions } from '../lib/stack';
import { timeCopy, timeUpload } from './copy';

const MiB = 1024 * 1024;
const root = resolve(__dirname, '..', '..', '..');
const run = promisify(execFile);
const bucketOf = (region: string) => `sf-${region}`;
const prefix = 'snapferry/';
/** Next-day snapshots (3 of 256 chunks changed) copied incrementally; the figure is their median. */
const incrementalDays = 3;
/** Distinct snapshots copied at once into one region, by one replicator and then by two. */
const scaleCopies = 4;

export interface ObjectStoreSizes {
  /** The cold and incremental copy's image (1 GiB). */
  imageBytes: number;
  /** Each of the `scaleCopies` snapshots of the one-versus-two-replicators row. */
  scaleBytes: number;
  /** The image copied into a bucket while the replicator's RSS is watched (4 GiB). */
  memoryBytes: number;
}

/** `--profile`: which services run with `--cpu-prof`, and where their profiles go. */
export interface Profiling {
  cpuProfDir?: string;
  profile?: ('catalog' | 'replicator')[];
}

const size = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / MiB} MiB`;
const load = () => loadavg()[0]!.toFixed(2);

/** A catalog and replicators on fresh resources whose regions live on the given gateways. */
class ObjectStack {
  readonly services: Service[] = [];
  api!: Api;
  private env: NodeJS.ProcessEnv = {};

  constructor(
    private readonly resources: Resources,
    private readonly profiling: Profiling = {},
  ) {
    resources.onCleanup(() => Promise.all(this.services.map((s) => s.stop())));
  }

  private profiled(kind: 'catalog' | 'replicator') {
    const { cpuProfDir, profile = [] } = this.profiling;
    return cpuProfDir && profile.includes(kind) ? { cpuProfDir } : {};
  }

  /** What a failure shows: the services' last lines and whether each is still running. */
  explain(error: unknown): Error {
    const tails = this.services
      .map((s) => `--- ${s.kind} ${s.running ? 'running' : 'EXITED'}:\n${s.recentOutput()}`)
      .join('\n');
    return new Error(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${tails}`,
    );
  }

  /** `regions`: id → its gateway, or null for a filesystem region. */
  async start(regions: Record<string, CephRgw | null>): Promise<this> {
    const databaseUrl = await this.resources.database();
    const amqpUrl = await this.resources.vhost();
    const dataDir = await this.resources.dir();
    const credentials: NodeJS.ProcessEnv = {};
    for (const [id, rgw] of Object.entries(regions)) {
      if (!rgw) continue;
      await rgw.createBucket(bucketOf(id));
      const names = credentialVariables(id);
      credentials[names.accessKeyId] = rgw.accessKeyId;
      credentials[names.secretAccessKey] = rgw.secretAccessKey;
    }
    const regionsFile = await writeBenchRegions(dataDir, Object.keys(regions), (id) => {
      const rgw = regions[id];
      return rgw
        ? {
            objectStore: {
              endpoint: rgw.endpoint,
              bucket: bucketOf(id),
              prefix,
              region: rgw.region,
              forcePathStyle: true,
            },
          }
        : {};
    });
    this.env = {
      ...benchEnv(databaseUrl, amqpUrl, regionsFile),
      ...credentials,
      SNAPFERRY_DATA_DIR: dataDir,
      SNAPFERRY_API_KEYS: benchApiKeys,
      REPLICATOR_MAX_CONCURRENT_COPIES: '8',
    };
    const catalog = await new Service('catalog', this.env, this.profiled('catalog')).start();
    this.services.push(catalog);
    this.api = new Api(catalog.url);
    await this.api.enableBeta();
    return this;
  }

  async replicator(regions: string[]): Promise<Service> {
    const replicator = await new Service(
      'replicator',
      { ...this.env, REPLICATOR_REGIONS: regions.join(',') },
      this.profiled('replicator'),
    ).start();
    this.services.push(replicator);
    return replicator;
  }

  /** A snapshot of `image` registered and uploaded in `region`. */
  async snapshot(region: string, image: DiskImage, disk = diskId()): Promise<string> {
    const id = await this.api.register(region, disk, Math.ceil(image.bytes / 1024 ** 3));
    await timeUpload(this.api, id, image.stream());
    return id;
  }
}

/** The bytes a replicator has copied into `region` (its snapferry_bytes_copied_total). */
async function bytesCopied(replicator: Service, region: string): Promise<number> {
  const text = await (await fetch(`${replicator.url}/metrics`)).text();
  const match = new RegExp(
    `^snapferry_bytes_copied_total\\{[^}]*region="${region}"[^}]*\\} (\\S+)$`,
    'm',
  ).exec(text);
  return match ? Number(match[1]) : 0;
}

/** CPU seconds of these processes (by name: pid) while `work` runs. */
async function cpuWhile<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const result = await work();
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - before[k]!]),
  );
  return { result, cpu };
}

const cpuText = (cpu: Record<string, number>, seconds: number) =>
  `${Object.entries(cpu)
    .map(([k, s]) => `${k} ${s.toFixed(1)}`)
    .join(', ')} CPU s in ${seconds.toFixed(1)} s (${(
    Object.values(cpu).reduce((a, b) => a + b, 0) / seconds
  ).toFixed(2)} cores)`;

const daemons = (name: string, rgw: CephRgw) => ({
  [`${name} radosgw`]: rgw.pids.gateway,
  [`${name} osd`]: rgw.pids.osd,
});

/** The plain SDK program (bench/lib/s3-copy-baseline) in a process of its own. */
async function sdkBaseline(job: BaselineJob, dir: string): Promise<BaselineResult> {
  const file = join(dir, `baseline-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(job));
  const { stdout } = await run(
    process.execPath,
    ['-r', './scripts/register-paths.js', 'dist/bench/lib/s3-copy-baseline.js', file],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as BaselineResult;
}

/** The chunk keys of a snapshot in a bucket-backed region (from its manifest object). */
async function chunkKeys(rgw: CephRgw, region: string, snapshotId: string): Promise<string[]> {
  const s3 = rgw.client();
  try {
    const answer = await s3.send(
      new GetObjectCommand({
        Bucket: bucketOf(region),
        Key: `${prefix}manifests/${snapshotId}.json`,
      }),
    );
    const manifest = JSON.parse(await answer.Body!.transformToString('utf8')) as {
      chunks: { digest: string }[];
    };
    const digests = [...new Set(manifest.chunks.map((c) => c.digest))];
    return digests.map((d) => `${prefix}chunks/${d.slice(0, 2)}/${d}`);
  } finally {
    s3.destroy();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * 7. Object store: regions on buckets of their own Ceph RGW gateways (one-node clusters on
 * this host). A cold copy between two bucket-backed regions (request → NORMAL) beside a plain
 * SDK program moving the same chunk objects between the same gateways, 8 in flight; the
 * incremental copy (3 of 256 chunks changed) beside the cold one; several copies into one
 * region by two replicator processes beside one; and the replicator's peak RSS while it copies
 * a large image from a filesystem region into a bucket, beside the 300 MB budget.
 */
export async function objectStoreScenario(
  sizes: ObjectStoreSizes,
  profiling: Profiling = {},
): Promise<Row[]> {
  const available = cephRgwAvailable();
  if (!available.ok) {
    process.stderr.write(`bench: 7 object store skipped: ${available.reason}\n`);
    return [];
  }
  // The Ceph daemons are unref'd children: a wait for nothing but their exit would end this process.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    return await measure(sizes, profiling);
  } finally {
    clearInterval(keepAlive);
  }
}

async function measure(sizes: ObjectStoreSizes, profiling: Profiling): Promise<Row[]> {
  const say = (line: string) => process.stderr.write(`bench: object store: ${line}\n`);
  const loadBefore = load();
  const rows: Row[] = [];
  const label = () =>
    `7 object store (${size(sizes.imageBytes)}; load avg ${loadBefore} → ${load()})`;
  const pending: Omit<Row, 'scenario'>[] = [];

  // --- Two gateways: the source region's and the destinations'.
  let resources = new Resources();
  /** The stack running now, whose services' output a failure shows. */
  let current: ObjectStack | undefined;
  try {
    const gib = 1024 ** 3;
    const [a, b] = await Promise.all([
      startCephRgw({ osdBytes: sizes.imageBytes + scaleCopies * sizes.scaleBytes + gib }),
      startCephRgw({ osdBytes: 2 * sizes.imageBytes + 2 * scaleCopies * sizes.scaleBytes + gib }),
    ]);
    resources.onCleanup(() => Promise.all([a.stop(), b.stop()]));
    const files = await resources.dir('snapferry-bench-s3-');
    const stack = (current = new ObjectStack(resources, profiling));
    await stack.start({ 'bx-src': a, 'bx-dst1': b, 'bx-dst2': b, 'bx-dst3': b });
    const r1 = await stack.replicator(['bx-dst1', 'bx-dst2', 'bx-dst3']);

    // Cold copy, then the same bytes by the plain SDK program.
    const image = new DiskImage(sizes.imageBytes);
    const disk = diskId();
    const first = await stack.snapshot('bx-src', image, disk);
    const pids = {
      replicator: r1.pid,
      catalog: stack.services[0]!.pid,
      ...daemons('source', a),
      ...daemons('target', b),
    };
    const cold = await cpuWhile(pids, () => timeCopy(stack.api, first, 'bx-dst1'));
    say(`cold copy ${cpuText(cold.cpu, cold.result)}`);
    const keys = await chunkKeys(a, 'bx-src', first);
    const end = (rgw: CephRgw, region: string) => ({
      endpoint: rgw.endpoint,
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
      bucket: bucketOf(region),
    });
    const baseline = await cpuWhile({ ...daemons('source', a), ...daemons('target', b) }, () =>
      sdkBaseline(
        {
          from: end(a, 'bx-src'),
          to: end(b, 'bx-dst1'),
          keys,
          toPrefix: 'baseline/',
          inFlight: 8,
        },
        files,
      ),
    );
    say(
      `SDK baseline ${baseline.result.bytes / MiB} MiB in ${baseline.result.seconds.toFixed(2)} s (${cpuText({ program: baseline.result.cpuSeconds, ...baseline.cpu }, baseline.result.seconds)})`,
    );
    const mib = sizes.imageBytes / MiB;
    pending.push({
      figure: `cold copy bucket → bucket MiB/s (request → NORMAL; ${cold.result.toFixed(1)} s)`,
      value: mib / cold.result,
      unit: 'MiB/s',
      baseline: `plain SDK program: GET + PUT of the same ${keys.length} chunk objects between the same gateways, 8 in flight (${baseline.result.seconds.toFixed(1)} s)`,
      baselineValue: baseline.result.bytes / MiB / baseline.result.seconds,
      better: 'higher',
    });

    // The next days' snapshots of the disk, 1 % of the chunks changed each.
    const incremental: number[] = [];
    let changed = 0;
    for (let day = 1; day <= incrementalDays; day += 1) {
      changed = image.change(0.01);
      const next = await stack.snapshot('bx-src', image, disk);
      incremental.push(await timeCopy(stack.api, next, 'bx-dst1'));
    }
    say(`incremental copies ${incremental.map((s) => s.toFixed(3)).join(', ')} s`);
    pending.push({
      figure: `incremental copy bucket → bucket s (${changed} of ${image.blocks} chunks changed; median of ${incrementalDays} days)`,
      value: median(incremental),
      unit: 's',
      baseline: 'the cold copy',
      baselineValue: cold.result,
      better: 'lower',
    });

    // Several copies into one region: one replicator, then two.
    const sources: string[] = [];
    for (let i = 0; i < scaleCopies; i += 1)
      sources.push(await stack.snapshot('bx-src', new DiskImage(sizes.scaleBytes)));
    const copyAll = async (region: string) => {
      const started = performance.now();
      await Promise.all(sources.map((id) => timeCopy(stack.api, id, region)));
      return (performance.now() - started) / 1000;
    };
    const one = await cpuWhile(pids, () => copyAll('bx-dst2'));
    say(`${scaleCopies} copies, 1 replicator: ${cpuText(one.cpu, one.result)}`);
    const r2 = await stack.replicator(['bx-dst3']);
    const two = await cpuWhile({ ...pids, replicator2: r2.pid }, () => copyAll('bx-dst3'));
    const split = await Promise.all([r1, r2].map((r) => bytesCopied(r, 'bx-dst3')));
    say(
      `${scaleCopies} copies, 2 replicators: ${cpuText(two.cpu, two.result)}; MiB copied by each: ${split.map((b) => (b / MiB).toFixed(0)).join(' + ')}`,
    );
    const scaleMiB = (scaleCopies * sizes.scaleBytes) / MiB;
    pending.push({
      figure: `${scaleCopies} copies of ${size(sizes.scaleBytes)} at once into one bucket region, MiB/s with 2 replicators (${split.map((b) => (b / MiB).toFixed(0)).join(' + ')} MiB copied by each)`,
      value: scaleMiB / two.result,
      unit: 'MiB/s',
      baseline: '1 replicator',
      baselineValue: scaleMiB / one.result,
      better: 'higher',
    });
  } catch (error) {
    throw current?.explain(error) ?? error;
  } finally {
    await resources.cleanup();
  }

  // --- A large image from a filesystem region into a bucket: the replicator's memory.
  resources = new Resources();
  current = undefined;
  try {
    const c = await startCephRgw({ osdBytes: sizes.memoryBytes + 1024 ** 3 });
    resources.onCleanup(() => c.stop());
    const stack = (current = new ObjectStack(resources, profiling));
    await stack.start({ 'bx-disk': null, 'bx-big': c });
    const replicator = await stack.replicator(['bx-big']);
    const image = new DiskImage(sizes.memoryBytes);
    const id = await stack.snapshot('bx-disk', image);
    let sampled = 0;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, procKiB(replicator.pid, 'VmRSS'));
    }, 100);
    let seconds: number;
    try {
      seconds = await timeCopy(stack.api, id, 'bx-big');
    } finally {
      clearInterval(sampler);
    }
    const peak = replicator.peakRssKiB();
    say(
      `${size(sizes.memoryBytes)} disk → bucket in ${seconds.toFixed(1)} s (${(sizes.memoryBytes / MiB / seconds).toFixed(0)} MiB/s); replicator RSS idle ${(replicator.idleRssKiB / 1024).toFixed(0)} MiB, sampled peak ${(sampled / 1024).toFixed(0)} MiB, VmHWM ${(peak / 1024).toFixed(0)} MiB`,
    );
    pending.push({
      figure: `replicator peak RSS (VmHWM) copying ${size(sizes.memoryBytes)} from a disk region into a bucket (idle ${(replicator.idleRssKiB / 1024).toFixed(0)} MiB; ${(sizes.memoryBytes / MiB / seconds).toFixed(0)} MiB/s)`,
      value: peak / 1024,
      unit: 'MiB',
      baseline: 'budget 300 MB',
      baselineValue: (300 * 1e6) / MiB,
      better: 'lower',
    });
  } catch (error) {
    throw current?.explain(error) ?? error;
  } finally {
    await resources.cleanup();
  }
  const scenario = label();
  rows.push(...pending.map((row) => ({ scenario, ...row })));
  return rows;
}
