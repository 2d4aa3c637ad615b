import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStoreConfig } from '@snapferry/domain';
import { type CephRgw, cephRgwAvailable, freePort, startCephRgw } from '@snapferry/testing';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { checkBucket, probeKeyPrefix } from './check-bucket';
import { ObjectStoreUnusableError } from './object-store-errors';
import { signPayloadAs } from './payload-sha256';
import { type BucketRegion, createS3Client, type S3ClientOptions } from './s3-client';

const bucket = 'snapferry-eu-paris';

/** The error checkBucket throws (the test fails if it passes). */
async function refusal(
  region: BucketRegion,
  env: NodeJS.ProcessEnv,
  options?: S3ClientOptions,
): Promise<ObjectStoreUnusableError> {
  const client = await createS3Client(region, env, options);
  try {
    await checkBucket(client, region);
  } catch (error) {
    if (error instanceof ObjectStoreUnusableError) return error;
    throw error;
  } finally {
    client.destroy();
  }
  throw new Error('expected checkBucket to refuse');
}

const ceph = cephRgwAvailable();
if (!ceph.ok) console.warn(`object store start-up check tests skipped: ${ceph.reason}`);

(ceph.ok ? describe : describe.skip)('checkBucket against Ceph RGW', () => {
  let rgw: CephRgw;
  let store: ObjectStoreConfig;
  let paris: BucketRegion;
  /** The region's own keys, the way an operator sets them. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    rgw = await startCephRgw({ bucket });
    store = {
      endpoint: rgw.endpoint,
      bucket,
      prefix: 'dr/eu-paris/',
      region: rgw.region,
      forcePathStyle: true,
    };
    paris = { id: 'eu-paris', objectStore: store };
    env = {
      SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: rgw.accessKeyId,
      SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: rgw.secretAccessKey,
    };
  }, 180_000);

  afterAll(() => rgw?.stop());

  it('accepts a bucket it may list, write and delete in, and leaves no probe behind', async () => {
    const client = await createS3Client(paris, env);
    await checkBucket(client, paris);
    const left = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${store.prefix}${probeKeyPrefix}` }),
    );
    expect(left.KeyCount).toBe(0);
    client.destroy();
  });

  it("uses the AWS SDK's chain (AWS_ACCESS_KEY_ID…) for a region without keys of its own", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    });
    try {
      const client = await createS3Client(paris, {});
      await checkBucket(client, paris);
      client.destroy();
    } finally {
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
    }
  });

  it('refuses a wrong secret with SignatureDoesNotMatch, naming region, endpoint and bucket', async () => {
    const error = await refusal(paris, {
      ...env,
      SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: `${rgw.secretAccessKey}x`,
    });
    expect(error.problem).toMatchObject({
      region: 'eu-paris',
      endpoint: rgw.endpoint,
      bucket,
      operation: 'ListObjectsV2',
      s3Code: 'SignatureDoesNotMatch',
      httpStatus: 403,
    });
    expect(error.message).toMatch(
      new RegExp(
        `^region eu-paris: .*bucket "${bucket}" \\(prefix "dr/eu-paris/"\\) at ${rgw.endpoint} failed with SignatureDoesNotMatch \\(HTTP 403\\)`,
      ),
    );
    expect(error.message).not.toContain(rgw.secretAccessKey);
  });

  it('refuses an unknown access key with InvalidAccessKeyId', async () => {
    const error = await refusal(paris, {
      ...env,
      SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: 'AKIDNOTKNOWNHERE0000',
    });
    expect(error.problem).toMatchObject({ s3Code: 'InvalidAccessKeyId', httpStatus: 403 });
  });

  it('refuses a missing bucket with NoSuchBucket', async () => {
    const error = await refusal(
      { id: 'eu-paris', objectStore: { ...store, bucket: 'snapferry-not-created' } },
      env,
    );
    expect(error.problem).toMatchObject({
      bucket: 'snapferry-not-created',
      s3Code: 'NoSuchBucket',
      httpStatus: 404,
    });
    expect(error.message).toContain('create the bucket');
  });

  it("refuses another user's bucket with AccessDenied", async () => {
    const other = await rgw.addUser();
    const error = await refusal(paris, {
      SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: other.accessKeyId,
      SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: other.secretAccessKey,
    });
    expect(error.problem).toMatchObject({ s3Code: 'AccessDenied', httpStatus: 403 });
  });

  it('refuses keys that may list but not write, at the probe PUT', async () => {
    const reader = await rgw.addUser();
    const shared = 'snapferry-read-only';
    await rgw.createBucket(shared);
    const owner = rgw.client();
    await owner.send(
      new PutBucketPolicyCommand({
        Bucket: shared,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: [`arn:aws:iam:::user/${reader.uid}`] },
              Action: ['s3:ListBucket', 's3:GetObject'],
              Resource: [`arn:aws:s3:::${shared}`, `arn:aws:s3:::${shared}/*`],
            },
          ],
        }),
      }),
    );
    owner.destroy();
    const error = await refusal(
      { id: 'eu-paris', objectStore: { ...store, bucket: shared } },
      {
        SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: reader.accessKeyId,
        SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: reader.secretAccessKey,
      },
    );
    expect(error.problem).toMatchObject({ operation: 'PutObject', s3Code: 'AccessDenied' });
  });

  it('refuses an unreachable endpoint with the network code', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const error = await refusal(
      { id: 'eu-paris', objectStore: { ...store, endpoint: closed } },
      env,
      {
        maxAttempts: 2,
      },
    );
    expect(error.problem).toMatchObject({ endpoint: closed, s3Code: 'ECONNREFUSED' });
    expect(error.problem.httpStatus).toBeUndefined();
    expect(error.message).toContain(`at ${closed} failed with ECONNREFUSED`);
    expect(error.message).toContain('cannot be reached');
  });

  describe('signPayloadAs: the store verifies the SHA-256 the sender knows', () => {
    let client: S3Client;
    beforeAll(async () => (client = await createS3Client(paris, env)));
    afterAll(() => client?.destroy());

    const chunk = Buffer.alloc(256 * 1024, 'snapferry');
    const digest = createHash('sha256').update(chunk).digest('hex');
    const damaged = Buffer.from(chunk);
    damaged[1000] = 0;

    it('stores a chunk whose bytes hash to the digest, from a Buffer or a stream', async () => {
      await client.send(
        signPayloadAs(
          new PutObjectCommand({ Bucket: bucket, Key: 'c/buffer', Body: chunk }),
          digest,
        ),
      );
      await client.send(
        signPayloadAs(
          new PutObjectCommand({
            Bucket: bucket,
            Key: 'c/stream',
            Body: Readable.from([chunk.subarray(0, 1000), chunk.subarray(1000)]),
            ContentLength: chunk.length,
          }),
          digest,
        ),
      );
      for (const key of ['c/buffer', 'c/stream']) {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(chunk)).toBe(true);
      }
    });

    it.each([
      ['a Buffer', () => damaged],
      ['a stream', () => Readable.from([damaged])],
    ])(
      'refuses damaged bytes from %s with XAmzContentSHA256Mismatch and stores nothing',
      async (_, body) => {
        const key = `c/damaged-${Math.random()}`;
        await expect(
          client.send(
            signPayloadAs(
              new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: body(),
                ContentLength: chunk.length,
              }),
              digest,
            ),
          ),
        ).rejects.toMatchObject({
          name: 'XAmzContentSHA256Mismatch',
          $metadata: { httpStatusCode: 400 },
        });
        await expect(
          client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
        ).rejects.toMatchObject({
          name: 'NotFound',
        });
      },
    );
  });
});

describe('createS3Client retries and timeouts (a scripted S3 endpoint)', () => {
  let server: Server;
  let endpoint: string;
  /** How the endpoint answers the n-th request (0-based); PUTs only. */
  let answer: (n: number) => 'slow-down' | 'ok' | 'silence';
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = requests++;
      req.resume();
      req.on('end', () => {
        const how = answer(n);
        if (how === 'silence') return; // never answers: the socket timeout's case
        if (how === 'ok') {
          res.writeHead(200, { ETag: '"x"' }).end();
          return;
        }
        res
          .writeHead(503, { 'Content-Type': 'application/xml' })
          .end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
          );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const region = (): BucketRegion => ({
    id: 'eu-paris',
    objectStore: { endpoint, bucket, prefix: '', region: 'us-east-1', forcePathStyle: true },
  });
  const keys = {
    SNAPFERRY_S3_ACCESS_KEY_ID_EU_PARIS: 'AKIDTEST',
    SNAPFERRY_S3_SECRET_ACCESS_KEY_EU_PARIS: 'secret',
  };

  it('retries 503 SlowDown with backoff and succeeds', async () => {
    requests = 0;
    answer = (n) => (n < 2 ? 'slow-down' : 'ok');
    const client = await createS3Client(region(), keys);
    const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    expect(out.$metadata.attempts).toBe(3);
    // Throttling backs off from 500 ms (with jitter): the retries did wait.
    expect(out.$metadata.totalRetryDelay).toBeGreaterThan(0);
    client.destroy();
  });

  it('gives up after maxAttempts with the SlowDown code', async () => {
    requests = 0;
    answer = () => 'slow-down';
    const client = await createS3Client(region(), keys, { maxAttempts: 2 });
    await expect(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 2 } });
    expect(requests).toBe(2);
    client.destroy();
  });

  it('times out a silent endpoint and retries it', async () => {
    requests = 0;
    answer = () => 'silence';
    const client = await createS3Client(region(), keys, { maxAttempts: 2, socketTimeoutMs: 300 });
    const started = Date.now();
    await expect(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(requests).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    client.destroy();
  });
});
