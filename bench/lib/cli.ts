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
