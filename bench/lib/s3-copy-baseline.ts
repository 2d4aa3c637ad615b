import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';

/**
 * The object-store scenario's baseline, run as a process of its own: a plain
 * `@aws-sdk/client-s3` program that GETs every listed object from one gateway and PUTs the
 * same bytes to another, `inFlight` at once, with the client settings RGW 16.2 needs and
 * nothing else. Prints `{"seconds": …, "bytes": …, "cpuSeconds": …}` (timed from the first GET to the last
 * PUT's answer; the SDK's loading and the process start are not counted).
 *
 *     node dist/bench/lib/s3-copy-baseline.js job.json
 */

export interface BaselineEnd {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

export interface BaselineJob {
  from: BaselineEnd;
  to: BaselineEnd;
  /** Source keys; each is written to `toPrefix` + key. */
  keys: string[];
  toPrefix: string;
  inFlight: number;
}

const clientOf = (end: BaselineEnd) =>
  new S3Client({
    endpoint: end.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: end.accessKeyId, secretAccessKey: end.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

export interface BaselineResult {
  seconds: number;
  bytes: number;
  /** User + system CPU of the program while it copied. */
  cpuSeconds: number;
}

export async function runBaseline(job: BaselineJob): Promise<BaselineResult> {
  const from = clientOf(job.from);
  const to = clientOf(job.to);
  try {
    let next = 0;
    let bytes = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: job.inFlight }, async () => {
        while (next < job.keys.length) {
          const key = job.keys[next++]!;
          const got = await from.send(new GetObjectCommand({ Bucket: job.from.bucket, Key: key }));
          const body = await got.Body!.transformToByteArray();
          await to.send(
            new PutObjectCommand({
              Bucket: job.to.bucket,
              Key: `${job.toPrefix}${key}`,
              Body: body,
              ContentLength: body.length,
            }),
          );
          bytes += body.length;
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return {
      seconds: (performance.now() - started) / 1000,
      bytes,
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  } finally {
    from.destroy();
    to.destroy();
  }
}

if (require.main === module) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as BaselineJob;
  runBaseline(job).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`s3 copy baseline failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
