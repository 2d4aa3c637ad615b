import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../network-lab/run-command';
import { gatewayName } from './ceph-conf';
import { keyring } from './ceph-keyring';

/** Every ceph/radosgw-admin call ends within this: a wedged monitor fails a test, never hangs it. */
export const cephCommandTimeoutMs = 60_000;

export interface S3Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** One keyring for every entity of a test cluster: the monitor's mkfs imports all of it. */
export function writeKeyring(dir: string): void {
  writeFileSync(
    join(dir, 'keyring'),
    keyring({
      'mon.': { mon: 'allow *' },
      'client.admin': { mon: 'allow *', osd: 'allow *', mgr: 'allow *' },
      'osd.0': { mon: 'allow profile osd', mgr: 'allow profile osd', osd: 'allow *' },
      [gatewayName]: { mon: 'allow rw', osd: 'allow rwx' },
    }),
    { mode: 0o600 },
  );
}

/** The monitor's map and store (`mon.a`), before it first starts. */
export async function makeMonitor(dir: string, fsid: string, monPort: number): Promise<void> {
  const monmap = join(dir, 'monmap');
  await runCommand(
    ['monmaptool', '--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, monmap],
    { timeoutMs: cephCommandTimeoutMs },
  );
  await runCommand(
    [
      ...['ceph-mon', '-c', join(dir, 'ceph.conf'), '--mkfs', '-i', 'a'],
      ...['--monmap', monmap, '--keyring', join(dir, 'keyring')],
    ],
    { timeoutMs: cephCommandTimeoutMs },
  );
}

/** Registers osd.0 with the (running) monitor and formats its memstore, both at once. */
export async function makeOsd(dir: string): Promise<void> {
  const conf = join(dir, 'ceph.conf');
  const uuid = randomUUID();
  await Promise.all([
    runCommand(['ceph', '-c', conf, '--connect-timeout', '30', 'osd', 'new', uuid, '0'], {
      timeoutMs: cephCommandTimeoutMs,
    }),
    runCommand(['ceph-osd', '-c', conf, '-i', '0', '--mkfs', '--osd-uuid', uuid], {
      timeoutMs: cephCommandTimeoutMs,
    }),
  ]);
}

/** An S3 user with the given keys (the first one also creates the gateway's pools). */
export async function createUser(dir: string, uid: string, keys: S3Keys): Promise<void> {
  await runCommand(
    [
      ...['radosgw-admin', '-c', join(dir, 'ceph.conf'), 'user', 'create'],
      ...[`--uid=${uid}`, `--display-name=${uid}`],
      ...[`--access-key=${keys.accessKeyId}`, `--secret-key=${keys.secretAccessKey}`],
    ],
    { timeoutMs: 2 * cephCommandTimeoutMs },
  );
}

/**
 * A bucket's size quota in bytes (`null`: off). The gateway checks it against fresh bucket
 * statistics (ceph.conf sets the quota caches' lifetimes to 0 for the tests).
 */
export async function setBucketQuota(
  dir: string,
  bucket: string,
  maxBytes: number | null,
): Promise<void> {
  const admin = ['radosgw-admin', '-c', join(dir, 'ceph.conf'), 'quota'];
  if (maxBytes === null) {
    await runCommand([...admin, 'disable', '--quota-scope=bucket', `--bucket=${bucket}`], {
      timeoutMs: cephCommandTimeoutMs,
    });
    return;
  }
  await runCommand(
    [...admin, 'set', '--quota-scope=bucket', `--bucket=${bucket}`, `--max-size=${maxBytes}`],
    { timeoutMs: cephCommandTimeoutMs },
  );
  await runCommand([...admin, 'enable', '--quota-scope=bucket', `--bucket=${bucket}`], {
    timeoutMs: cephCommandTimeoutMs,
  });
}
