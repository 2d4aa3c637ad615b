import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClientRequest } from 'node:http';
import { manifestRoot } from '@snapferry/storage';
import { slowPut } from '@snapferry/testing';
import { keys } from '../support/catalog-harness';
import { putEarlyAnswered, registration } from '../support/e2e-helpers';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

const MiB = 1024 * 1024;
const chunkSize = 4 * MiB;
const SLOW = 200;
/** What each slow upload sends of its 4 MiB before it stops: half, so a held buffer is half touched. */
const SENT = 2 * MiB;
const budget = { process: 64 * MiB, perKey: 32 * MiB };
const timeoutMs = 5000;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rssOf = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
};

interface Answer {
  status: number;
  code?: string;
  retryAfter?: string;
  at: number;
}

/** A chunk PUT that stops after `sent` of its `size` bytes; its answer names the error code. */
function slowChunk(base: string, key: string, path: string, size: number, sent: Buffer) {
  const { answer, request } = slowPut(base, key, path, size, sent);
  return {
    answer: answer.then(({ status, body, retryAfter, at }): Answer => ({
      status,
      code: body ? (JSON.parse(body) as { error?: { code?: string } }).error?.code : undefined,
      retryAfter,
      at,
    })),
    request,
  };
}

/** A manifest of `chunks` (size `chunkSize` each) for a body nobody will send in full. */
function manifestOf(chunks: { digest: string; size: number }[]) {
  return {
    chunkSize,
    imageDigest: sha256(randomBytes(32)),
    root: manifestRoot(chunks),
    chunks,
  };
}

describe('slow chunk uploads and the upload memory budget', () => {
  let s: ProcessStack;
  const open: ClientRequest[] = [];
  beforeAll(async () => {
    s = await startProcessStack({
      SNAPFERRY_UPLOAD_MEMORY: String(budget.process),
      SNAPFERRY_UPLOAD_MEMORY_PER_KEY: String(budget.perKey),
      SNAPFERRY_BODY_TIMEOUT_MS: String(timeoutMs),
    });
    await s.api.as(keys.operator).put('/v1/accounts/alice/beta');
  }, 60_000);
  afterAll(async () => {
    for (const request of open) request.destroy();
    await s?.stop();
  });

  it(
    'refuses a key beyond its budget at once (429), times out the trickling ones (408), keeps the RSS bounded and serves other keys',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const bob = s.api.as(keys.bob);
      // Alice declares one real chunk and 200 she will only start to send.
      const real = randomBytes(chunkSize);
      const chunks = [
        { digest: sha256(real), size: chunkSize },
        ...Array.from({ length: SLOW }, () => ({
          digest: sha256(randomBytes(32)),
          size: chunkSize,
        })),
      ];
      const aliceId = (await alice.post('/v1/snapshots', registration())).body.snapshotId as string;
      expect(
        (await alice.post(`/v1/snapshots/${aliceId}/data/manifest`, manifestOf(chunks))).status,
      ).toBe(200);
      const bobBytes = randomBytes(chunkSize);
      const bobChunks = [{ digest: sha256(bobBytes), size: chunkSize }];
      const bobId = (await bob.post('/v1/snapshots', registration({ diskId: 'disk-b0b00001' })))
        .body.snapshotId as string;
      expect(
        (await bob.post(`/v1/snapshots/${bobId}/data/manifest`, manifestOf(bobChunks))).status,
      ).toBe(200);
      const streamId = (
        await alice.post('/v1/snapshots', registration({ diskId: 'disk-a11c0002' }))
      ).body.snapshotId as string;

      await sleep(1000);
      const idle = await rssOf(s.catalog.pid!);
      const sent = randomBytes(SENT); // the same bytes for each: the client's CPU is not measured
      const started = Date.now();
      const slow = chunks
        .slice(1)
        .map((chunk) =>
          slowChunk(
            s.catalog.url,
            keys.alice,
            `/v1/snapshots/${aliceId}/data/chunks/${chunk.digest}`,
            chunkSize,
            sent,
          ),
        );
      open.push(...slow.map((u) => u.request));
      const answers: (Answer | undefined)[] = new Array(SLOW);
      slow.forEach((u, i) => void u.answer.then((a) => (answers[i] = a)));
      const held = budget.perKey / chunkSize; // 8 chunks fit in alice's share
      const answered = () => answers.filter(Boolean).length;
      const deadline = Date.now() + 20_000;
      while (answered() < SLOW - held && Date.now() < deadline) await sleep(100);
      await sleep(500); // the bytes of the held ones have arrived
      const loaded = await rssOf(s.catalog.pid!);
      const lastAnswer = Math.max(0, ...Array.from(answers, (a) => (a ? a.at - started : 0)));
      process.stdout.write(
        `catalog RSS: idle ${(idle / MiB).toFixed(1)} MiB, with ${SLOW} slow chunk uploads open ${(loaded / MiB).toFixed(1)} MiB (+${((loaded - idle) / MiB).toFixed(1)} MiB; ${answered()} answered, the last after ${lastAnswer} ms)\n`,
      );

      // Beyond alice's share: 429 in the documented shape, with Retry-After, without waiting
      // for the body (a loaded machine takes seconds to answer 200 requests, but less than the
      // two windows after which a held body is cut off).
      const refused = answers.filter((a): a is Answer => a !== undefined);
      expect(refused).toHaveLength(SLOW - held);
      for (const a of refused) {
        expect(a).toMatchObject({ status: 429, code: 'RequestLimitExceeded.UploadMemory' });
        expect(Number(a.retryAfter)).toBeGreaterThan(0);
        expect(a.at - started).toBeLessThan(2 * timeoutMs);
      }
      // The catalog holds the 8 bodies it admitted, not 200: 400 MiB would have been touched.
      expect(loaded - idle).toBeLessThan(100 * MiB);

      // Meanwhile another key uploads, and alice's streaming upload is refused the same way.
      expect(
        (await bob.put(`/v1/snapshots/${bobId}/data/chunks/${bobChunks[0]!.digest}`, bobBytes))
          .status,
      ).toBe(201);
      const streaming = await putEarlyAnswered(
        s.catalog.url,
        `/v1/snapshots/${streamId}/data`,
        keys.alice,
        randomBytes(64 * 1024),
      );
      expect(streaming.status).toBe(429);
      expect(streaming.body.error.code).toBe('RequestLimitExceeded.UploadMemory');

      // The held ones trickle nothing more: 408 within two windows, and their memory is free again.
      const late = await Promise.all(slow.map((u) => u.answer));
      const timedOut = late.filter((a) => a.status === 408);
      expect(timedOut).toHaveLength(held);
      for (const a of timedOut) {
        expect(a.code).toBe('RequestTimeout.BodyTooSlow');
        expect(a.at - started).toBeGreaterThanOrEqual(timeoutMs);
        expect(a.at - started).toBeLessThan(4 * timeoutMs);
      }
      const stored = await alice.put(
        `/v1/snapshots/${aliceId}/data/chunks/${chunks[0]!.digest}`,
        real,
      );
      expect(stored.status).toBe(201);
    }),
    90_000,
  );

  it(
    'cuts off a streaming upload that stalls (408) and frees its memory and lease for the next attempt',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const id = (await alice.post('/v1/snapshots', registration({ diskId: 'disk-a11c0003' }))).body
        .snapshotId as string;
      const image = randomBytes(MiB);
      const started = Date.now();
      const stalled = slowChunk(
        s.catalog.url,
        keys.alice,
        `/v1/snapshots/${id}/data`,
        image.length,
        image.subarray(0, 256 * 1024),
      );
      open.push(stalled.request);
      const answer = await stalled.answer;
      expect(answer).toMatchObject({ status: 408, code: 'RequestTimeout.BodyTooSlow' });
      expect(answer.at - started).toBeLessThan(4 * timeoutMs);
      // Its lease is given up as the catalog learns the body will not come: retry until then.
      let retried = await alice.put(`/v1/snapshots/${id}/data`, image);
      for (let i = 0; retried.status === 409 && i < 20; i++) {
        await sleep(250);
        retried = await alice.put(`/v1/snapshots/${id}/data`, image);
      }
      expect(retried.status).toBe(200);
      expect(retried.body.state).toBe('NORMAL');
    }),
    60_000,
  );
});
