import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { summarizeProfiles } from './lib/profile';
import { machine, resultsFile, table, type Row } from './lib/report';
import { cleanupAll } from './lib/resources';
import { apiScenario } from './scenarios/api';
import { changesScenario } from './scenarios/changes';
import { copyScenario, hugeScenario } from './scenarios/copy';
import { objectStoreScenario } from './scenarios/object-store';
import { pipelineOn, pipelineScenario, scaleScenario } from './scenarios/pipeline';
import { policyScenario } from './scenarios/policy';
import { regionsScenario } from './scenarios/regions';
import { slowUploadsScenario } from './scenarios/slow-uploads';

/**
 * `npm run bench [-- --quick] [-- --huge] [-- --only=api,pipeline,copy,scale,regions,slow-uploads,object-store,policy,changes] [-- --profile]`:
 * every figure beside a baseline taken in the same run; the table goes to stdout and to
 * bench/results/latest.md.
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const huge = args.includes('--huge');
const profile = args.includes('--profile');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (name: string) => (only ? only.includes(name) : true);

const sizes = quick
  ? { apiRequests: 400, copies: 300, scaleCopies: 150, imageBytes: 64 * 1024 ** 2 }
  : { apiRequests: 3000, copies: 5000, scaleCopies: 1500, imageBytes: 1024 ** 3 };

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${name} ...`);
  const result = await work();
  say(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function postgresVersion(): Promise<string> {
  const client = new Client({
    connectionString:
      process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(
      `SELECT current_setting('server_version') AS v`,
    );
    return `PostgreSQL ${rows[0]?.v ?? '?'}`;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  const profileDir = profile ? await mkdtemp(join(tmpdir(), 'snapferry-bench-prof-')) : undefined;
  const profiling = profileDir
    ? { cpuProfDir: profileDir, profile: ['catalog', 'replicator'] as ('catalog' | 'replicator')[] }
    : {};
  if (wanted('api'))
    rows.push(...(await timed('1 api', () => apiScenario(sizes.apiRequests, 10, profiling))));
  if (wanted('pipeline') || wanted('scale')) {
    const pipeline = await timed('2 pipeline', () => pipelineScenario(sizes.copies, profiling));
    if (wanted('pipeline')) rows.push(...pipeline.rows);
    if (wanted('scale')) {
      // Scale compares equal workloads: the 1 + 1 baseline runs at the scale size when it differs.
      const single =
        sizes.scaleCopies === sizes.copies
          ? pipeline.run
          : await timed('4 scale baseline', () => pipelineOn({}, sizes.scaleCopies));
      rows.push(...(await timed('4 scale', () => scaleScenario(sizes.scaleCopies, single))));
    }
  }
  if (wanted('copy')) rows.push(...(await timed('3 copy', () => copyScenario(sizes.imageBytes))));
  if (wanted('regions'))
    rows.push(
      ...(await timed('5 regions apart', () =>
        regionsScenario(sizes.imageBytes, quick ? 16 * 1024 ** 2 : 50 * 1024 ** 2),
      )),
    );
  if (wanted('slow-uploads'))
    rows.push(...(await timed('6 slow uploads', () => slowUploadsScenario(200))));
  if (wanted('object-store'))
    rows.push(
      ...(await timed('7 object store', () =>
        objectStoreScenario(
          quick
            ? {
                imageBytes: 64 * 1024 ** 2,
                scaleBytes: 16 * 1024 ** 2,
                memoryBytes: 256 * 1024 ** 2,
              }
            : { imageBytes: 1024 ** 3, scaleBytes: 128 * 1024 ** 2, memoryBytes: 4 * 1024 ** 3 },
          profiling,
        ),
      )),
    );
  if (wanted('policy'))
    rows.push(
      ...(await timed('8 policies', () => policyScenario(quick ? 200 : 1000, quick ? 20 : 100))),
    );
  if (wanted('changes'))
    rows.push(...(await timed('9 changes', () => changesScenario(sizes.imageBytes))));
  if (huge) rows.push(...(await timed('huge', () => hugeScenario())));

  const seconds = (Date.now() - started) / 1000;
  const text = table(rows);
  process.stdout.write(`${text}\n`);
  const results = resolve(__dirname, '..', '..', 'bench', 'results');
  await mkdir(results, { recursive: true });
  const mode = [quick ? '--quick' : 'full', huge && '--huge', only && `--only=${only.join(',')}`]
    .filter(Boolean)
    .join(' ');
  const latest = join(results, 'latest.md');
  await writeFile(
    latest,
    resultsFile(await readFile(latest, 'utf8').catch(() => null), {
      only,
      heading: `Snapferry benchmark (${mode}, ${new Date().toISOString()}, ${seconds.toFixed(0)} s)`,
      body:
        `${machine(await postgresVersion())}\n\n${text}\n\n` +
        'Ratio = value / baseline, both measured in this run on this machine. See bench/README.md for what each baseline stands for.',
    }),
  );
  if (profileDir) {
    process.stderr.write(
      `\n${await summarizeProfiles(profileDir)}\n(profiles kept in ${profileDir}; open them in Chrome DevTools)\n`,
    );
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: removing the bench databases, vhosts and directories`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
