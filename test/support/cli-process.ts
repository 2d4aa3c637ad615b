import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const bin = join(root, 'bin', 'snapferry.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `snapferry …` as a real process from the built tree, as a user runs it: only PATH and the
 * documented variables (SNAPFERRY_URL, SNAPFERRY_API_KEY) in its environment.
 */
export function runCli(
  args: string[],
  { url, key, stdin }: { url: string; key: string; stdin?: string },
): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'], SNAPFERRY_URL: url, SNAPFERRY_API_KEY: key },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolveRun) =>
    child.on('close', (code) => resolveRun({ code, stdout, stderr })),
  );
}

/** The same with `--json`, parsed; a non-zero exit throws with the error line. */
export async function runCliJson(
  args: string[],
  options: { url: string; key: string; stdin?: string },
): Promise<any> {
  const run = await runCli([...args, '--json'], options);
  if (run.code !== 0)
    throw new Error(`snapferry ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
