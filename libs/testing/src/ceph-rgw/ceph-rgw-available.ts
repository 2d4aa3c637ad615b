import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type CephRgwAvailability = { ok: true } | { ok: false; reason: string };

/** What startCephRgw() runs (Debian: `apt-get install ceph-mon ceph-osd radosgw`). */
export const cephBinaries = [
  'ceph-mon',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
  'ceph',
  'ceph-authtool',
  'monmaptool',
] as const;

const onPath = (name: string, path: string): boolean =>
  path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/**
 * Whether startCephRgw() can run here: Linux and Ceph's binaries on the PATH. Synchronous (no
 * process started) so that a test file chooses `describe` or `describe.skip` while Jest
 * collects it, and prints why it skips:
 *
 *     const ceph = cephRgwAvailable();
 *     if (!ceph.ok) console.warn(`object store tests skipped: ${ceph.reason}`);
 *     (ceph.ok ? describe : describe.skip)('…', () => { … });
 */
export function cephRgwAvailable(path = process.env['PATH'] ?? ''): CephRgwAvailability {
  if (process.platform !== 'linux')
    return { ok: false, reason: `the Ceph test cluster needs Linux (this is ${process.platform})` };
  const missing = cephBinaries.filter((name) => !onPath(name, path));
  if (missing.length > 0)
    return {
      ok: false,
      reason: `${missing.join(', ')} not found on the PATH (Debian: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw)`,
    };
  return { ok: true };
}
