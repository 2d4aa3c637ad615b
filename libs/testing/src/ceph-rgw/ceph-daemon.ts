import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One Ceph daemon (ceph-mon, ceph-osd, radosgw), run in the foreground as our own child. */
export interface CephDaemon {
  /** `mon.a`, `osd.0`, `client.rgw.snapferry`: also the name of its log and pid files. */
  readonly name: string;
  readonly pid: number;
  /** Whether it has not exited yet. */
  readonly running: boolean;
  /** Resolves when it has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once); resolves once it is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `command` in the foreground (`-f`: no fork, so the pid we hold is the daemon's own and
 * its exit is seen at once), its stdout/stderr appended to `log/<name>.stderr`, and records
 * its pid in `run/<name>.pid` for the sweep of clusters whose owner died (stale-ceph-clusters).
 */
export function spawnDaemon(dir: string, name: string, command: readonly string[]): CephDaemon {
  const [file, ...args] = command as [string, ...string[]];
  const out = openSync(join(dir, 'log', `${name}.stderr`), 'a');
  let child;
  try {
    child = spawn(file, args, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    // ENOENT and the like: no process came to be.
    child.once('error', () => {
      running = false;
      resolve({ code: null, signal: null });
    });
  });
  // The test's own teardown stops it; an idle daemon must not keep a Jest worker alive.
  child.unref();
  const pid = child.pid ?? -1;
  const pidFile = join(dir, 'run', `${name}.pid`);
  if (pid > 0) writeFileSync(pidFile, `${pid}\n`);
  const stop = async (graceMs = 5_000) => {
    if (running && pid > 0) {
      child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => running && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await rm(pidFile, { force: true });
  };
  return {
    name,
    pid,
    get running() {
      return running;
    },
    exited,
    stop,
  };
}
