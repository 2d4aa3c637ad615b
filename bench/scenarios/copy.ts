import { join } from 'node:path';
import type { Api } from '../lib/api';
import {
  cpSha256Seconds,
  nodeSha256Seconds,
  rsyncDeltaSeconds,
  settleDisk,
} from '../lib/baselines';
import { cliCreate, type CliUpload } from '../lib/cli';
import { DiskImage } from '../lib/images';
import type { Row } from '../lib/report';
import { percentile } from '../lib/stats';
import { destinationRegions, diskId, sleep, sourceRegion, startStack } from '../lib/stack';
import type { Service } from '../lib/service';

const MiB = 1024 * 1024;
/** Next-day snapshots uploaded and copied incrementally; their figures are the median. */
const incrementalDays = 3;

interface Day {
  upload: CliUpload;
  hashOnly: number;
  copy: number;
  rsync: number;
}

/**
 * Seconds from the copy request until the target is NORMAL in its region's list. Polled every
 * 5 ms for the first second (a short copy is not rounded up to the poll interval), then every
 * 20 ms, or 1 % of the time so far up to 250 ms (a long one is not slowed by the polling: on
 * a loaded machine thousands of status reads cost the catalog seconds of CPU).
 */
export async function timeCopy(api: Api, snapshotId: string, region: string): Promise<number> {
  const started = performance.now();
  const answer = await api.copy(snapshotId, [region]);
  const target = answer.results[0]?.snapshotId;
  if (answer.results[0]?.code !== 'Success' || !target)
    throw new Error(`copy refused: ${JSON.stringify(answer)}`);
  for (;;) {
    const snapshot = await api.json<{ state: string }>('GET', `/v1/snapshots/${target}`);
    if (snapshot.state === 'NORMAL') return (performance.now() - started) / 1000;
    if (snapshot.state === 'FAILED') throw new Error(`copy of ${snapshotId} to ${region} failed`);
    const elapsed = performance.now() - started;
    await sleep(elapsed < 1000 ? 5 : Math.min(250, Math.max(20, elapsed / 100)));
  }
}

export async function timeUpload(
  api: Api,
  id: string,
  body: NodeJS.ReadableStream,
): Promise<number> {
  const started = performance.now();
  await api.upload(id, body);
  return (performance.now() - started) / 1000;
}

export const rssRows = (
  scenario: string,
  services: Service[],
  baseline: (s: Service) => { name: string; kib: number },
): Row[] =>
  services.map((service) => {
    const base = baseline(service);
    return {
      scenario,
      figure: `${service.kind} peak RSS`,
      value: service.peakRssKiB() / 1024,
      unit: 'MiB',
      baseline: base.name,
      baselineValue: base.kib / 1024,
      better: 'lower',
    };
  });

/**
 * 3. Copy: an image uploaded, copied cold, then the next days' snapshots of the same disk with
 * 1 % of their chunks changed uploaded and copied incrementally; beside `cp` + `sha256sum` of
 * the same bytes, rsync's delta transfer of the same change, and the hashing floor.
 */
export async function copyScenario(bytes: number): Promise<Row[]> {
  const stack = await startStack({ maxConcurrentCopies: 2 });
  try {
    const api = stack.apis[0]!;
    const files = await stack.resources.dir('snapferry-bench-images-');
    const image = new DiskImage(bytes);
    const gib = Math.ceil(bytes / 1024 ** 3);
    const disk = diskId();
    const region = destinationRegions[0]!;

    // Every timed step below starts after settleDisk(): none pays for the previous one's writes.
    const first = join(files, 'first.img');
    await image.writeTo(first);
    await settleDisk();
    const cpFirst = await cpSha256Seconds(first, join(files, 'cp.img'));
    // The first snapshot of the disk, with the CLI: every chunk is missing, all are sent.
    await settleDisk();
    const full = await cliCreate(api.baseUrl, sourceRegion, disk, first, gib);
    await settleDisk();
    const cold = await timeCopy(api, full.snapshotId, region);

    // The next days' snapshots of the same disk, 1 % of the chunks changed each day; the
    // figures below are the median of these days (one short step alone is too noisy to judge).
    const days: Day[] = [];
    let changed = 0;
    let cpSecond = 0;
    let yesterday = first;
    for (let day = 1; day <= incrementalDays; day += 1) {
      changed = image.change(0.01);
      const today = join(files, `day-${day}.img`);
      await image.writeTo(today);
      await settleDisk();
      if (day === 1) cpSecond = await cpSha256Seconds(today, join(files, 'cp.img'));
      await settleDisk();
      const upload = await cliCreate(api.baseUrl, sourceRegion, disk, today, gib);
      await settleDisk();
      const hashOnly = await nodeSha256Seconds(today);
      await settleDisk();
      const copy = await timeCopy(api, upload.snapshotId, region); // the region holds yesterday's copy
      await settleDisk();
      const rsync = await rsyncDeltaSeconds(yesterday, today, files);
      days.push({ upload, hashOnly, copy, rsync });
      yesterday = today;
    }
    const median = (pick: (d: Day) => number) => percentile(days.map(pick), 50);
    const incrementalUpload = days[0]!.upload;
    const uploadSeconds = median((d) => d.upload.seconds);
    const hashOnly = median((d) => d.hashOnly);
    const incremental = median((d) => d.copy);
    const rsync = median((d) => d.rsync);

    // A plain streaming PUT with curl into a region that holds none of the chunks.
    const streamed = await api.register(destinationRegions[1]!, disk, gib);
    await settleDisk();
    const putStarted = performance.now();
    await api.uploadWithCurl(streamed, first);
    const upload = (performance.now() - putStarted) / 1000;

    const mib = bytes / MiB;
    const scenario = `3 copy (${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`})`;
    const cp = 'cp + sha256sum';
    const sent = (u: CliUpload) => `${(u.bytesUploaded / MiB).toFixed(0)} MiB sent`;
    return [
      {
        scenario,
        figure: 'upload MiB/s (streaming PUT, curl)',
        value: mib / upload,
        unit: 'MiB/s',
        baseline: cp,
        baselineValue: mib / cpFirst,
        better: 'higher',
      },
      {
        scenario,
        figure: `first snapshot with the CLI MiB/s (${sent(full)})`,
        value: mib / full.seconds,
        unit: 'MiB/s',
        baseline: cp,
        baselineValue: mib / cpFirst,
        better: 'higher',
      },
      {
        scenario,
        figure: `incremental upload with the CLI s (${changed} of ${image.blocks} chunks changed, ${sent(incrementalUpload)}; median of ${incrementalDays} days)`,
        value: uploadSeconds,
        unit: 's',
        baseline: 'the first snapshot with the CLI',
        baselineValue: full.seconds,
        better: 'lower',
      },
      {
        scenario,
        figure:
          "floor of any upload that reports the image's SHA-256: a Node.js process only hashing it, s",
        value: hashOnly,
        unit: 's',
        baseline: 'the first snapshot with the CLI',
        baselineValue: full.seconds,
        better: 'lower',
      },
      {
        scenario,
        figure: 'cold copy MiB/s (request → NORMAL)',
        value: mib / cold,
        unit: 'MiB/s',
        baseline: cp,
        baselineValue: mib / cpFirst,
        better: 'higher',
      },
      {
        scenario,
        figure: `incremental copy s (${changed} of ${image.blocks} chunks changed; median of ${incrementalDays} days)`,
        value: incremental,
        unit: 's',
        baseline: 'the cold copy',
        baselineValue: cold,
        better: 'lower',
      },
      {
        scenario,
        figure: 'incremental copy s, beside rsync',
        value: incremental,
        unit: 's',
        baseline: 'rsync --no-whole-file of the same change',
        baselineValue: rsync,
        better: 'lower',
      },
      {
        scenario,
        figure: 'incremental copy s, beside cp',
        value: incremental,
        unit: 's',
        baseline: cp,
        baselineValue: cpSecond,
        better: 'lower',
      },
      ...rssRows(scenario, [...stack.catalogs, ...stack.replicators], (s) => ({
        name: `${s.kind} idle RSS`,
        kib: s.idleRssKiB,
      })),
    ];
  } finally {
    await stack.resources.cleanup();
  }
}

/** `--huge`: a 4 GiB image uploaded and copied, peak RSS of each process beside the 300 MB budget. */
export async function hugeScenario(bytes = 4 * 1024 ** 3): Promise<Row[]> {
  const stack = await startStack({ maxConcurrentCopies: 2 });
  try {
    const api = stack.apis[0]!;
    const image = new DiskImage(bytes);
    const id = await api.register(sourceRegion, diskId(), Math.ceil(bytes / 1024 ** 3));
    const upload = await timeUpload(api, id, image.stream());
    const copy = await timeCopy(api, id, destinationRegions[0]!);
    const scenario = `huge (${bytes / 1024 ** 3} GiB)`;
    const budget = { name: 'budget 300 MB', kib: (300 * 1e6) / 1024 };
    process.stderr.write(
      `bench: huge upload ${(bytes / MiB / upload).toFixed(0)} MiB/s, copy ${(bytes / MiB / copy).toFixed(0)} MiB/s\n`,
    );
    return rssRows(scenario, [...stack.catalogs, ...stack.replicators], () => budget);
  } finally {
    await stack.resources.cleanup();
  }
}
