import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CephDaemon } from './ceph-daemon';

/** Rejects as soon as one of `daemons` exits; `work`'s own outcome otherwise. */
export async function whileAlive<T>(
  work: Promise<T>,
  daemons: readonly CephDaemon[],
  what: string,
): Promise<T> {
  const died = daemons.map(async (daemon) => {
    const { code, signal } = await daemon.exited;
    throw new Error(`${daemon.name} exited (${signal ?? `code ${code}`}) during ${what}`);
  });
  // The losers of the race are expected: no unhandled rejection from them.
  died.forEach((p) => p.catch(() => undefined));
  return Promise.race([work, ...died]);
}

/** Polls `probe` every 100 ms until it says true, or fails at `deadline` with its last error. */
export async function pollUntil(
  probe: () => Promise<boolean>,
  { what, deadline }: { what: string; deadline: number },
): Promise<void> {
  let lastError = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    await sleep(100);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Any HTTP answer (RGW gives anonymous callers an empty bucket list) means the gateway serves. */
export async function answersHttp(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return true;
}

/** Resident memory of a process in bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The last lines of every log of a cluster: what a failed start shows. */
export function lastLogLines(dir: string, lines = 20): string {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'log')).sort();
  } catch {
    return '';
  }
  let out = '';
  for (const file of files) {
    try {
      const text = readFileSync(join(dir, 'log', file), 'utf8').trimEnd();
      if (text === '') continue;
      out += `\n--- ${file} (last ${lines} lines) ---\n${text.split('\n').slice(-lines).join('\n')}`;
    } catch {
      // unreadable: skip
    }
  }
  return out;
}
