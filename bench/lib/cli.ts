import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { benchKey } from './api';

const run = promisify(execFile);
const bin = resolve(__dirname, '..', '..', '..', 'bin', 'snapferry.js');

export interface CliUpload {
  seconds: number;
  snapshotId: string;
  bytesUploaded: number;
  bytesSkipped: number;
}

/** `snapferry snapshot create --file` (the CLI's incremental upload), timed, as a user runs it. */
export async function cliCreate(
  baseUrl: string,
  region: string,
  disk: string,
  file: string,
  diskSizeGiB: number,
): Promise<CliUpload> {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    [
      bin,
      'snapshot',
      'create',
      '--region',
      region,
      '--disk',
      disk,
      '--disk-size',
      String(diskSizeGiB),
      '--file',
      file,
      '--json',
    ],
    {
      env: { ...process.env, SNAPFERRY_URL: baseUrl, SNAPFERRY_API_KEY: benchKey },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30 * 60 * 1000,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const answer = JSON.parse(stdout) as {
    snapshotId: string;
    bytesUploaded: number;
    bytesSkipped: number;
  };
  return { seconds, ...answer };
}

/** What `snapshot create --base … --json` answers (the API's answer plus the CLI's counts). */
export interface CliFromBase {
  seconds: number;
  snapshot: { snapshotId: string; root: string | null };
  bytesRead: number;
  bytesSent: number;
  bytesWritten: number;
  bytesZeroed: number;
  chunksRebuilt: number;
  bytesRebuilt: number;
  bytesStored: number;
  bytesReadFromBase: number;
  chunksReused: number;
}

const cliEnv = (baseUrl: string) => ({
  ...process.env,
  SNAPFERRY_URL: baseUrl,
  SNAPFERRY_API_KEY: benchKey,
});

/**
 * `snapferry snapshot create --base ID <args> --json`, timed, as a user runs it (in this
 * environment, changed by `env`: a variable set to undefined is unset).
 */
export async function cliCreateFromBase(
  baseUrl: string,
  base: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliFromBase> {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    [bin, 'snapshot', 'create', '--base', base, ...args, '--json'],
    {
      env: { ...cliEnv(baseUrl), ...env },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30 * 60 * 1000,
    },
  );
  return {
    seconds: (performance.now() - started) / 1000,
    ...(JSON.parse(stdout) as object),
  } as CliFromBase;
}

/**
 * `<producer> | snapferry snapshot create --base ID --rbd-diff - --json`, timed (a shell pipe),
 * in this environment changed by `env` (a variable set to undefined is unset).
 */
export async function cliRbdPipe(
  baseUrl: string,
  base: string,
  producer: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliFromBase> {
  const started = performance.now();
  const { stdout } = await run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `${producer} | '${process.execPath}' '${bin}' snapshot create --base ${base} --rbd-diff - --json`,
    ],
    { env: { ...cliEnv(baseUrl), ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60 * 1000 },
  );
  return {
    seconds: (performance.now() - started) / 1000,
    ...(JSON.parse(stdout) as object),
  } as CliFromBase;
}
