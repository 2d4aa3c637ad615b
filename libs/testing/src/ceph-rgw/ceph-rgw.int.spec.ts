import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { currentOwner } from '../network-lab/lab-owner';
import { type CephRgw, startCephRgw } from './ceph-rgw';
import { cephRgwAvailable } from './ceph-rgw-available';
import { startS3FaultProxy } from './s3-fault-proxy';
import { formatClusterOwner, ownerFile, sweepStaleCephClusters } from './stale-ceph-clusters';

const bucket = 'snapferry-test';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes);
const md5Base64 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

const isRunning = (pid: number) => {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function read(s3: S3Client, key: string): Promise<string> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return answer.Body!.transformToString();
}

/** A PutObject whose signed payload hash (`x-amz-content-sha256`) is `payloadSha256`, not the body's. */
function putClaimingPayloadHash(key: string, body: Buffer, payloadSha256: string) {
  const command = new PutObjectCommand({ Bucket: bucket, Key: key, Body: body });
  // Before signing: the SigV4 signer takes a hash already in the headers instead of hashing the body.
  command.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] =
        payloadSha256;
      return next(args);
    },
    { step: 'build', name: 'claimPayloadHash' },
  );
  return command;
}

/** A client of `keys` through `endpoint` (a proxy): two tries per call, a 1 s socket timeout. */
function rgwThrough(endpoint: string, keys: { accessKeyId: string; secretAccessKey: string }) {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { socketTimeout: 1_000, connectionTimeout: 1_000 },
  });
}

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`Ceph RGW tests skipped: ${ceph.reason}`);

(ceph.ok ? describe : describe.skip)('a Ceph RADOS Gateway per region', () => {
  let guangzhou: CephRgw;
  let shanghai: CephRgw;
  let s3g: S3Client;
  let s3s: S3Client;

  beforeAll(async () => {
    const started = Date.now();
    [guangzhou, shanghai] = await Promise.all([startCephRgw({ bucket }), startCephRgw({ bucket })]);
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    console.log(
      `two clusters started at once in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS MiB: ${JSON.stringify(
        Object.fromEntries(Object.entries(guangzhou.rssBytes()).map(([k, v]) => [k, mib(v)])),
      )}`,
    );
    s3g = guangzhou.client();
    s3s = shanghai.client();
  }, 180_000);

  afterAll(async () => {
    s3g?.destroy();
    s3s?.destroy();
    await Promise.all([guangzhou?.stop(), shanghai?.stop()]);
  });

  it('runs each region on its own ports, data and keys', async () => {
    expect(guangzhou.endpoint).not.toBe(shanghai.endpoint);
    expect(guangzhou.dir).not.toBe(shanghai.dir);
    await s3g.send(new PutObjectCommand({ Bucket: bucket, Key: 'only-here', Body: 'g' }));
    await expect(
      s3s.send(new HeadObjectCommand({ Bucket: bucket, Key: 'only-here' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    const wrongKeys = shanghai.client(guangzhou);
    await expect(
      wrongKeys.send(new ListObjectsV2Command({ Bucket: bucket })),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    wrongKeys.destroy();
  });

  it.each([
    ['guangzhou', () => s3g],
    ['shanghai', () => s3s],
  ])('puts, gets, lists and deletes objects in %s', async (_, s3of) => {
    const s3 = s3of();
    for (const key of ['chunks/aa/1', 'chunks/aa/2', 'chunks/bb/3', 'manifests/m'])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }));
    expect(await read(s3, 'chunks/aa/2')).toBe('bytes of chunks/aa/2');
    const ranged = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'chunks/aa/2', Range: 'bytes=0-4' }),
    );
    expect(await ranged.Body!.transformToString()).toBe('bytes');
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'chunks/aa/' }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['chunks/aa/1', 'chunks/aa/2']);
    const folders = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'chunks/', Delimiter: '/' }),
    );
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['chunks/aa/', 'chunks/bb/']);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'chunks/aa/1' }));
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'chunks/aa/1' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('refuses a conditional PUT (If-None-Match: *) on an existing key with 412 and keeps the first bytes', async () => {
    await s3g.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'first', IfNoneMatch: '*' }),
    );
    await expect(
      s3g.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'once', Body: 'second', IfNoneMatch: '*' }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect(await read(s3g, 'once')).toBe('first');
  });

  describe('damaged bytes on PUT (what RGW 16.2 verifies)', () => {
    const good = Buffer.from('the chunk as its sender hashed it');
    const damaged = Buffer.from('the chunk as its sender hashed iT');

    it('refuses a body whose SHA-256 is not the signed payload hash (x-amz-content-sha256): XAmzContentSHA256Mismatch', async () => {
      await s3g.send(putClaimingPayloadHash('sha-right', good, sha256(good).digest('hex')));
      expect(await read(s3g, 'sha-right')).toBe(good.toString());
      await expect(
        s3g.send(putClaimingPayloadHash('sha-wrong', damaged, sha256(good).digest('hex'))),
      ).rejects.toMatchObject({
        name: 'XAmzContentSHA256Mismatch',
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        s3g.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sha-wrong' })),
      ).rejects.toMatchObject({ name: 'NotFound' });
    });

    it('refuses a body whose MD5 is not Content-MD5: BadDigest, the stored object unchanged', async () => {
      await s3g.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'md5',
          Body: good,
          ContentMD5: md5Base64(good),
        }),
      );
      await expect(
        s3g.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: 'md5',
            Body: damaged,
            ContentMD5: md5Base64(good),
          }),
        ),
      ).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
      expect(await read(s3g, 'md5')).toBe(good.toString());
    });

    it('does NOT check x-amz-checksum-sha256 (ChecksumSHA256): the damaged bytes are stored', async () => {
      // A limitation of RGW 16.2 (flexible checksums came later): a store must not rely on it.
      await s3g.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'flexible-checksum',
          Body: damaged,
          ChecksumSHA256: sha256(good).digest('base64'),
        }),
      );
      expect(await read(s3g, 'flexible-checksum')).toBe(damaged.toString());
    });
  });

  it('restarts one gateway on the same endpoint with its data, the other untouched', async () => {
    await s3g.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'across restarts' }));
    const before = guangzhou.pids;
    const shanghaiBefore = shanghai.pids;
    await guangzhou.stopGateway();
    expect(guangzhou.pids.gateway).toBe(0);
    expect(isRunning(before.gateway)).toBe(false);
    // Meanwhile a client sees a network error, not an S3 answer. (Under Jest the SDK wraps
    // Node's own errors, which come from another realm, and keeps only their message.)
    await expect(
      guangzhou.client().send(new HeadObjectCommand({ Bucket: bucket, Key: 'kept' })),
    ).rejects.toThrow(/ECONNREFUSED/);
    await guangzhou.startGateway();
    expect(await read(s3g, 'kept')).toBe('across restarts');
    await guangzhou.restartGateway({ signal: 'SIGKILL' });
    expect(await read(s3g, 'kept')).toBe('across restarts');
    const after = guangzhou.pids;
    expect(after.gateway).not.toBe(before.gateway);
    expect([after.mon, after.osd]).toEqual([before.mon, before.osd]);
    expect(shanghai.pids).toEqual(shanghaiBefore);
    expect(await read(s3s, 'chunks/bb/3')).toBe('bytes of chunks/bb/3');
  });

  it('a PUT cut by a gateway crash fails and leaves no partial object', async () => {
    const total = 16 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 7);
    let pulled = 0;
    let crashed = false;
    // Bytes leave only as fast as the socket takes them (64 KiB buffers): 4 MiB pulled means
    // the gateway is receiving this very request when it is killed.
    const body = new Readable({
      highWaterMark: piece.length,
      read() {
        if (pulled === 4 * 1024 * 1024 && !crashed) {
          crashed = true;
          void guangzhou.stopGateway({ signal: 'SIGKILL' }).then(() => this.push(piece));
          pulled += piece.length;
          return;
        }
        pulled += piece.length;
        this.push(pulled <= total ? piece : null);
      },
    });
    await expect(
      s3g.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'cut', Body: body, ContentLength: total }),
      ),
    ).rejects.toThrow(/ECONNRESET|EPIPE|socket hang up/);
    expect(crashed).toBe(true);
    await guangzhou.startGateway();
    await expect(
      s3g.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cut' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('a fault proxy in front passes signed calls through, throttles, hangs and drops on cue, and records each request', async () => {
    const proxy = await startS3FaultProxy(guangzhou.endpoint);
    const via = rgwThrough(proxy.endpoint, guangzhou);
    try {
      await via.send(new PutObjectCommand({ Bucket: bucket, Key: 'via-proxy', Body: 'signed' }));
      expect(await read(s3g, 'via-proxy')).toBe('signed');
      expect(proxy.requests).toEqual([
        {
          method: 'PUT',
          path: `/${bucket}/via-proxy?x-id=PutObject`,
          outcome: 200,
          at: expect.any(Number),
        },
      ]);

      proxy.setMode('slow-down', ({ method }) => method === 'PUT');
      await expect(
        via.send(new PutObjectCommand({ Bucket: bucket, Key: 'throttled', Body: 'x' })),
      ).rejects.toMatchObject({
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503, attempts: 2 },
      });
      expect(await read(via, 'via-proxy')).toBe('signed'); // GETs still pass
      proxy.setMode('silent');
      await expect(
        via.send(new HeadObjectCommand({ Bucket: bucket, Key: 'via-proxy' })),
      ).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      proxy.setMode('reset');
      await expect(
        via.send(new HeadObjectCommand({ Bucket: bucket, Key: 'via-proxy' })),
      ).rejects.toThrow(/ECONNRESET|socket hang up/);
      expect(proxy.requests.slice(1).map((r) => r.outcome)).toEqual([
        'slow-down',
        'slow-down',
        200,
        'silent',
        'silent',
        'reset',
        'reset',
      ]);
      proxy.setMode('pass');
      await expect(
        via.send(new HeadObjectCommand({ Bucket: bucket, Key: 'throttled' })),
      ).rejects.toMatchObject({ name: 'NotFound' }); // nothing throttled reached the gateway
    } finally {
      via.destroy();
      await proxy.close();
    }
  });

  it('sweeps a cluster whose owner died: its daemons killed, its directory gone', async () => {
    const pids = Object.values(shanghai.pids);
    // An owner that existed and is gone: a finished child's pid.
    const dead = spawnSync('true').pid;
    writeFileSync(
      join(shanghai.dir, ownerFile),
      formatClusterOwner({ ...currentOwner(), pid: dead }),
    );
    expect(sweepStaleCephClusters()).toEqual([shanghai.dir]);
    expect(existsSync(shanghai.dir)).toBe(false);
    // SIGKILL is immediate, the exit and reaping are not: on a loaded machine they take a while.
    for (let waited = 0; waited < 10_000 && pids.some(isRunning); waited += 200)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pids.filter(isRunning)).toEqual([]);
    expect(sweepStaleCephClusters()).toEqual([]);
  });

  it('stop() leaves no daemon and no directory', async () => {
    const pids = Object.values(guangzhou.pids);
    expect(pids.every(isRunning)).toBe(true);
    await guangzhou.stop();
    await guangzhou.stop();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(guangzhou.dir)).toBe(false);
  });
});

(ceph.ok ? describe : describe.skip)('a Ceph RADOS Gateway that cannot start', () => {
  it("throws with the daemons' last log lines and leaves no process and no directory", async () => {
    // A bucket name RGW refuses: the last step fails, after every daemon started.
    const error = await startCephRgw({ bucket: 'x' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /could not start the Ceph test cluster in \S+: InvalidBucketName/,
    );
    expect(error?.message).toContain('--- mon.a.log (last 20 lines) ---');
    expect(error?.message).toContain('--- client.rgw.snapferry.log (last 20 lines) ---');
    const dir = /in (\S+snapferry-ceph-\S+):/.exec(error?.message ?? '')?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
    expect(processesNaming(dir!)).toEqual([]);
  }, 180_000);
});

/** Pids of processes whose command line names `text`. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
