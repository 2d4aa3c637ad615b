import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runCommand } from '../network-lab/run-command';
import { cephCommandTimeoutMs } from './ceph-bootstrap';
import { cephRgwAvailable, type CephRgwAvailability } from './ceph-rgw-available';

/**
 * Whether RBD tests can run here: the test cluster's binaries and Ceph's `rbd` (Debian:
 * `apt-get install ceph-common`). `rbd import`, `snap create`, `export` and `export-diff` talk
 * to the cluster through librbd: no kernel module, no root.
 */
export function cephRbdAvailable(path = process.env['PATH'] ?? ''): CephRgwAvailability {
  const cluster = cephRgwAvailable(path);
  if (!cluster.ok) return cluster;
  const found = path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'rbd'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return found
    ? { ok: true }
    : { ok: false, reason: 'rbd not found on the PATH (Debian: apt-get install ceph-common)' };
}

/** The `rbd` command against a test cluster (its ceph.conf and admin key), ready for arguments. */
export const rbdCommand = (dir: string): string[] => ['rbd', '-c', join(dir, 'ceph.conf')];

/** Creates an RBD pool on a test cluster (`startCephRgw().dir`) and returns its name. */
export async function createRbdPool(dir: string, pool = 'rbd'): Promise<string> {
  const ceph = ['ceph', '-c', join(dir, 'ceph.conf')];
  await runCommand([...ceph, 'osd', 'pool', 'create', pool, '8'], {
    timeoutMs: cephCommandTimeoutMs,
  });
  await runCommand([...ceph, 'osd', 'pool', 'application', 'enable', pool, 'rbd'], {
    timeoutMs: cephCommandTimeoutMs,
  });
  return pool;
}
