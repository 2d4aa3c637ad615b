import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';

/**
 * One line of the result table: a figure of Snapferry beside a baseline measured in the same
 * run. `ratio` is value / baseline; `better` says which direction is good, for the reader.
 */
export interface Row {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  better: 'higher' | 'lower';
}

const fmt = (n: number) => {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(Math.abs(n) >= 1 ? 2 : 3);
};

export const ratioOf = (row: Row) => row.value / row.baselineValue;

export function table(rows: Row[]): string {
  const lines = [
    '| scenario | figure | value | baseline | baseline value | ratio |',
    '| --- | --- | ---: | --- | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.figure} | ${fmt(r.value)} ${r.unit} | ${r.baseline} | ${fmt(r.baselineValue)} ${r.unit} | ${fmt(ratioOf(r))}× (${r.better} is better) |`,
    ),
  ];
  return lines.join('\n');
}

const quiet = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
};

/** Cores, memory and versions of what the figures depend on. */
export function machine(pgVersion: string): string {
  const cpu = cpus();
  return [
    `- CPU: ${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${release()}`,
    `- Node.js ${process.version}; ${pgVersion}; RabbitMQ ${quiet('rabbitmqctl', ['-q', 'version'])}`,
    `- snapferry ${quiet('git', ['rev-parse', '--short', 'HEAD'])}`,
  ].join('\n');
}

/**
 * `latest.md` after a run: a full run writes the whole file; a run of some scenarios
 * (`--only=…`) replaces only its own section (`## only=<names> …`), or adds it, keeping the
 * full run's table and the other scenarios' sections, so each figure stays beside the run that
 * measured it.
 */
export function resultsFile(
  existing: string | null,
  run: { only: string[] | undefined; heading: string; body: string },
): string {
  if (!run.only || existing === null) return `# ${run.heading}\n\n${run.body}\n`;
  const key = `## only=${run.only.join(',')} `;
  const sections = existing.split(/\n(?=## )/);
  const kept = sections.filter((section) => !section.startsWith(key));
  return `${[...kept.map((s) => s.trimEnd()), `${key}(${run.heading})\n\n${run.body}`].join('\n\n')}\n`;
}
