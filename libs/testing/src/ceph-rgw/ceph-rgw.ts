import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port';
import { currentOwner } from '../network-lab/lab-owner';
import {
  createUser,
  makeMonitor,
  makeOsd,
  type S3Keys,
  setBucketQuota,
  writeKeyring,
} from './ceph-bootstrap';
import { cephConf, gatewayName } from './ceph-conf';
import { type CephDaemon, spawnDaemon } from './ceph-daemon';
import { answersHttp, lastLogLines, listens, pollUntil, rssOf, whileAlive } from './ceph-probes';
import {
  clusterDirPrefix,
  formatClusterOwner,
  killCluster,
  ownerFile,
  sweepStaleCephClusters,
} from './stale-ceph-clusters';

export type { S3Keys } from './ceph-bootstrap';

export interface CephRgwOptions {
  /** Create this bucket (owned by the returned keys) before returning. */
  bucket?: string;
  /** memstore's capacity in bytes (default 4 GiB; it holds every object in RAM). */
  osdBytes?: number;
}

export type StopSignal = 'SIGTERM' | 'SIGKILL';

export interface CephRgw extends S3Keys {
  /** `http://127.0.0.1:<port>`: the gateway's S3 endpoint (path-style). */
  endpoint: string;
  /** RGW 16.2 refuses CreateBucket in any other region (`InvalidLocationConstraint`). */
  region: 'us-east-1';
  /** The cluster's directory: ceph.conf, keys, logs (`log/`), pid files (`run/`). */
  dir: string;
  /** The daemons' pids now (the gateway's changes when it restarts; 0 while it is stopped). */
  readonly pids: { mon: number; osd: number; gateway: number };
  /** An S3 client (these keys, or others) with the settings RGW 16.2 needs; destroy() it. */
  client(keys?: S3Keys): S3Client;
  createBucket(name: string, keys?: S3Keys): Promise<void>;
  /** Another S3 user with keys of its own (it owns none of the first user's buckets). */
  addUser(): Promise<S3Keys & { uid: string }>;
  /** The first user's id (bucket policies name users as `arn:aws:iam:::user/<uid>`). */
  uid: string;
  /** A bucket's size quota in bytes (null: none): writes past it get 403 QuotaExceeded. */
  setBucketQuota(bucket: string, maxBytes: number | null): Promise<void>;
  /** Stops radosgw (SIGTERM, or SIGKILL: a crash); the cluster and its data stay. */
  stopGateway(options?: { signal?: StopSignal }): Promise<void>;
  /** Starts radosgw again on the same port and waits until it answers. */
  startGateway(): Promise<void>;
  /** stopGateway() then startGateway(): "the object store restarted". */
  restartGateway(options?: { signal?: StopSignal }): Promise<void>;
  /** Resident memory of each running daemon in bytes, by daemon name. */
  rssBytes(): Record<string, number>;
  /** Stops every daemon (by its pid) and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

/** From nothing to a gateway that answers (~4–8 s on 2 cores; generous for a loaded CI). */
const startTimeoutMs = 120_000;

/** Clusters of this process not yet stopped: SIGKILLed and removed on exit if a test forgot. */
const live = new Set<string>();
const killLive = () => [...live].forEach(killCluster);

/**
 * Starts a one-node Ceph (one monitor, one memstore OSD, no manager) and a RADOS Gateway in a
 * directory of its own under $TMPDIR, on 127.0.0.1 with free ports, and an S3 user with fresh
 * keys. Several run side by side (one per region). Every daemon runs as our child and is
 * stopped by its pid; a failed start stops what it started and throws with the daemons' last
 * log lines.
 */
export async function startCephRgw(options: CephRgwOptions = {}): Promise<CephRgw> {
  sweepStaleCephClusters();
  const dir = mkdtempSync(join(tmpdir(), clusterDirPrefix));
  writeFileSync(join(dir, ownerFile), formatClusterOwner(currentOwner()));
  if (live.size === 0) process.once('exit', killLive);
  live.add(dir);
  for (const sub of ['mon.a', 'osd.0', 'run', 'log', 'crash', 'rgw']) mkdirSync(join(dir, sub));
  const conf = join(dir, 'ceph.conf');
  const daemons = new Map<'mon' | 'osd' | 'gateway', CephDaemon>();
  const keys = newKeys();
  const uid = 'snapferry';
  const monPort = await freePort();
  let rgwPort = await freePort();
  while (rgwPort === monPort) rgwPort = await freePort();
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // SIGKILL: the data is thrown away, and ceph-osd takes seconds to heed SIGTERM.
    await Promise.all([...daemons.values()].map((d) => d.stop(0)));
    live.delete(dir);
    if (live.size === 0) process.off('exit', killLive);
    await rm(dir, { recursive: true, force: true });
  };
  /** The gateway's stop in progress: a start waits for it (the port must be free again). */
  let gatewayStopping: Promise<void> | undefined;
  const startGateway = async () => {
    if (stopped) throw new Error(`the Ceph test cluster in ${dir} is stopped`);
    await gatewayStopping;
    if (daemons.get('gateway')?.running) return;
    const gateway = spawnDaemon(dir, gatewayName, ['radosgw', '-f', '-c', conf, '-n', gatewayName]);
    daemons.set('gateway', gateway);
    const what = `radosgw to answer on ${endpoint}`;
    const ready = pollUntil(() => answersHttp(endpoint), {
      what,
      deadline: Date.now() + startTimeoutMs,
    });
    await whileAlive(ready, [...daemons.values()], what);
  };
  const stopGateway = async ({ signal = 'SIGTERM' }: { signal?: StopSignal } = {}) => {
    gatewayStopping = daemons.get('gateway')?.stop(signal === 'SIGKILL' ? 0 : 5_000);
    await gatewayStopping;
  };
  const client = (as: S3Keys = keys) => rgwClient(endpoint, as);
  const createBucket = async (name: string, as: S3Keys = keys) => {
    const s3 = client(as);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      s3.destroy();
    }
  };

  try {
    const fsid = randomUUID();
    const osdBytes = options.osdBytes ?? 4 * 1024 ** 3;
    writeFileSync(conf, cephConf({ dir, fsid, monPort, rgwPort, osdBytes }));
    writeKeyring(dir);
    await makeMonitor(dir, fsid, monPort);
    const mon = spawnDaemon(dir, 'mon.a', ['ceph-mon', '-f', '-c', conf, '-i', 'a']);
    daemons.set('mon', mon);
    const monReady = pollUntil(() => listens(monPort), {
      what: `ceph-mon on port ${monPort}`,
      deadline: Date.now() + startTimeoutMs,
    });
    await whileAlive(monReady, [mon], 'the monitor start');
    await whileAlive(makeOsd(dir), [mon], 'the OSD creation');
    const osd = spawnDaemon(dir, 'osd.0', ['ceph-osd', '-f', '-c', conf, '-i', '0']);
    daemons.set('osd', osd);
    // No wait for "osd.0 up": the first user's creation blocks (writes) until it is.
    await whileAlive(createUser(dir, uid, keys), [mon, osd], 'the S3 user creation');
    await startGateway();
    if (options.bucket) await createBucket(options.bucket);
  } catch (error) {
    const logs = lastLogLines(dir);
    await stop();
    // S3 errors say little in their message (RGW's often is "UnknownError"): name it too.
    const { name, message } = error as Error;
    throw new Error(
      `could not start the Ceph test cluster in ${dir}: ${name === 'Error' ? '' : `${name}: `}${message}${logs}`,
    );
  }

  return {
    ...keys,
    uid,
    endpoint,
    region: 'us-east-1',
    dir,
    get pids() {
      const pid = (name: 'mon' | 'osd' | 'gateway') => {
        const daemon = daemons.get(name);
        return daemon?.running ? daemon.pid : 0;
      };
      return { mon: pid('mon'), osd: pid('osd'), gateway: pid('gateway') };
    },
    client,
    createBucket,
    addUser: async () => {
      const user = { ...newKeys(), uid: `user-${randomBytes(4).toString('hex')}` };
      await createUser(dir, user.uid, user);
      return user;
    },
    setBucketQuota: (bucket, maxBytes) => setBucketQuota(dir, bucket, maxBytes),
    stopGateway,
    startGateway,
    restartGateway: async (how) => {
      await stopGateway(how);
      await startGateway();
    },
    rssBytes: () =>
      Object.fromEntries(
        [...daemons.values()].filter((d) => d.running).map((d) => [d.name, rssOf(d.pid)]),
      ),
    stop,
  };
}

/** The client settings RGW 16.2 needs (see libs/testing/README.md). */
function rgwClient(endpoint: string, keys: S3Keys): S3Client {
  // The SDK release is pinned for Node.js 20: its notice about later releases is known.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: keys,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** S3-looking keys: 20 upper-case letters and digits; 40 characters of base64's alphabet. */
function newKeys(): S3Keys {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const accessKeyId = [...randomBytes(20)].map((b) => alnum[b % alnum.length]).join('');
  const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/]/g, 'x');
  return { accessKeyId, secretAccessKey };
}
