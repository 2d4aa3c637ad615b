import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LabOwner } from '../network-lab/lab-names';
import { ownerIsGone } from '../network-lab/lab-owner';

/** Every test cluster lives in `$TMPDIR/snapferry-ceph-XXXXXX` (`.ci/run` sweeps the same). */
export const clusterDirPrefix = 'snapferry-ceph-';

/** Its owner stamp, one line that `.ci/run` can read too: `pid=<pid> pidns=<pid namespace>`. */
export const ownerFile = 'owner';

export const formatClusterOwner = (owner: LabOwner): string =>
  `pid=${owner.pid} pidns=${owner.pidNamespace}\n`;

export function parseClusterOwner(text: string): LabOwner | undefined {
  const match = /^pid=(\d+) pidns=(\S+)$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { pid: Number(match[1]), pidNamespace: match[2] };
}

/** The pids in `dir/run/*.pid` that still run a command naming `dir` (a reused pid does not). */
export function clusterPids(dir: string): number[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'run')).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const file of files) {
    try {
      const pid = Number(readFileSync(join(dir, 'run', file), 'utf8').trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (pid > 0 && cmdline.includes(dir)) pids.push(pid);
    } catch {
      // gone already
    }
  }
  return pids;
}

/** SIGKILLs the cluster's daemons and removes its directory (synchronous: usable in an exit hook). */
export function killCluster(dir: string): void {
  for (const pid of clusterPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes the clusters whose owner (the test process that started them) is gone: a worker
 * killed before its teardown or exit hook ran. Clusters of live owners, of another pid
 * namespace, or without an owner stamp younger than a minute (being made) are left alone.
 * Returns the directories removed.
 */
export function sweepStaleCephClusters(parent = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(clusterDirPrefix));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(parent, name);
    let owner: LabOwner | undefined;
    try {
      owner = parseClusterOwner(readFileSync(join(dir, ownerFile), 'utf8'));
    } catch {
      owner = undefined;
    }
    const stale = owner
      ? ownerIsGone(owner)
      : Date.now() - (statSafe(dir)?.mtimeMs ?? Date.now()) > 60_000;
    if (!stale) continue;
    killCluster(dir);
    removed.push(dir);
  }
  return removed;
}

function statSafe(path: string): { mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
