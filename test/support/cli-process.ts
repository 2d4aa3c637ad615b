import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
export const bin = join(root, 'bin', 'snapferry.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A Node.js script as a real process from the repository's root, with `env` as its whole
 * environment: its exit code and what it wrote (stdin gets `stdin`, then its end).
 */
export function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: string | Buffer = '',
): Promise<CliRun> {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((resolveRun) =>
    child.on('close', (code) => resolveRun({ code, stdout, stderr })),
  );
}

/**
 * `snapferry …` as a real process from the built tree, as a user runs it: only PATH and the
 * documented variables (SNAPFERRY_URL, SNAPFERRY_API_KEY) in its environment.
 */
export function runCli(
  args: string[],
  { url, key, stdin }: { url: string; key: string; stdin?: string | Buffer },
): Promise<CliRun> {
  return runNode(
    bin,
    args,
    { PATH: process.env['PATH'], SNAPFERRY_URL: url, SNAPFERRY_API_KEY: key },
    stdin,
  );
}

/** The same with `--json`, parsed; a non-zero exit throws with the error line. */
export async function runCliJson(
  args: string[],
  options: { url: string; key: string; stdin?: string | Buffer },
): Promise<any> {
  const run = await runCli([...args, '--json'], options);
  if (run.code !== 0)
    throw new Error(`snapferry ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
