import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@snapferry/testing';
import { keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { eventCount, expectError, registered } from '../support/e2e-helpers';

const chunk = 64 * 1024; // SNAPFERRY_CHUNK_SIZE in the harness

/** A raw upload we control byte by byte: headers first, then whatever the test writes. */
function rawPut(
  url: string,
  path: string,
  headers: Record<string, string | number>,
): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const req = httpRequest(`${url}${path}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${keys.alice}`,
      'content-type': 'application/octet-stream',
      ...headers,
    },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.flushHeaders();
  return { req, response };
}

const bodyOf = async (response: IncomingMessage) => {
  const parts: Buffer[] = [];
  for await (const part of response) parts.push(part as Buffer);
  return Buffer.concat(parts).toString();
};

/** PUT/GET /v1/snapshots/{id}/data: streamed chunks, ranges, refusals, aborted uploads. */
describe('snapshot data API', () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);
  const register = (over: Record<string, unknown> = {}) => registered(t.api, over);

  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['exactly one chunk', chunk],
    ['one chunk and a byte', chunk + 1],
    ['about 1 MiB', 1024 * 1024 + 12345],
  ])('round-trips %s (%d bytes) byte-identical', async (_, size) => {
    const id = await register();
    const bytes = randomBytes(size);
    const stored = await alice().put(`/v1/snapshots/${id}/data`, bytes);
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(
      expect.objectContaining({ snapshotId: id, state: 'NORMAL', sizeBytes: size }),
    );
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('NORMAL');

    const read = await alice().get(`/v1/snapshots/${id}/data`);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toContain('application/octet-stream');
    expect(read.headers.get('content-length')).toBe(String(size));
    expect(read.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.compare(read.body, bytes)).toBe(0);
    expect(read.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
  });

  it('accepts a chunked upload without Content-Length', async () => {
    const id = await register();
    const bytes = randomBytes(3 * chunk + 7);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 10_000)
          controller.enqueue(bytes.subarray(at, at + 10_000));
        controller.close();
      },
    });
    const response = await fetch(`${t.url}/v1/snapshots/${id}/data`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${keys.alice}`,
        'content-type': 'application/octet-stream',
      },
      body: stream,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sizeBytes: number }).sizeBytes).toBe(bytes.length);
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${id}/data`)).body, bytes)).toBe(0);
  });

  it('refuses a second upload with 409 and keeps the first data', async () => {
    const id = await register();
    expect((await alice().put(`/v1/snapshots/${id}/data`, Buffer.from('first'))).status).toBe(200);
    const before = await eventCount(t);
    expectError(
      await alice().put(`/v1/snapshots/${id}/data`, Buffer.from('second')),
      409,
      'UnsupportedOperation.DataAlreadyStored',
    );
    expect(await eventCount(t)).toBe(before);
    expect((await alice().get(`/v1/snapshots/${id}/data`)).body.toString()).toBe('first');
  });

  it('refuses a declared size larger than the disk with 413 before reading it; the snapshot stays CREATING', async () => {
    const id = await register({ diskSizeGiB: 1 });
    const before = await eventCount(t);
    const { req, response } = rawPut(t.url, `/v1/snapshots/${id}/data`, {
      'content-length': 1024 ** 3 + 1,
    });
    req.write(Buffer.alloc(1000));
    const answer = await response;
    expect(answer.statusCode).toBe(413);
    expect(JSON.parse(await bodyOf(answer)).error.code).toBe(
      'UnsupportedOperation.SnapshotDataTooLarge',
    );
    req.destroy();
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
    expect(await eventCount(t)).toBe(before);
    // The snapshot can still take an image that fits.
    expect((await alice().put(`/v1/snapshots/${id}/data`, Buffer.from('fits'))).status).toBe(200);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['application/json', 'application/json'],
    ['no content type', undefined],
  ])('refuses %s with 415 and writes nothing', async (_, type) => {
    const id = await register();
    const before = await eventCount(t);
    const response = await fetch(`${t.url}/v1/snapshots/${id}/data`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keys.alice}`, ...(type ? { 'content-type': type } : {}) },
      body: type === undefined ? new Uint8Array([1, 2, 3]) : '{"a":1}',
    });
    const answer = {
      status: response.status,
      body: await response.json(),
      headers: response.headers,
    };
    expectError(answer, 415, 'InvalidParameter.ContentType');
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
    expect(await eventCount(t)).toBe(before);
  });

  describe('ranges', () => {
    const bytes = randomBytes(2 * chunk + 100);
    let id: string;
    beforeAll(async () => {
      id = await register();
      expect((await alice().put(`/v1/snapshots/${id}/data`, bytes)).status).toBe(200);
    });
    const range = (value: string) => alice().get(`/v1/snapshots/${id}/data`, { range: value });

    it.each([
      ['bytes=0-9', 0, 10],
      ['bytes=10-', 10, bytes.length],
      ['bytes=-5', bytes.length - 5, bytes.length],
      ['bytes=0-0', 0, 1],
      [`bytes=${chunk - 3}-${chunk + 2}`, chunk - 3, chunk + 3], // across a chunk boundary
      [`bytes=${bytes.length - 1}-`, bytes.length - 1, bytes.length],
      ['bytes=100-99999999', 100, bytes.length], // the end is clamped
      [`bytes=-${bytes.length + 50}`, 0, bytes.length], // a suffix longer than the body is the whole body
    ])('serves %s as 206 with Content-Range', async (header, start, end) => {
      const answer = await range(header);
      expect(answer.status).toBe(206);
      expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end - 1}/${bytes.length}`);
      expect(answer.headers.get('content-length')).toBe(String(end - start));
      expect(Buffer.compare(answer.body, bytes.subarray(start, end))).toBe(0);
    });

    it.each([`bytes=${2 * chunk + 100}-`, `bytes=${10 * chunk}-${11 * chunk}`, 'bytes=-0'])(
      'answers %s with 416',
      async (header) => {
        const answer = await range(header);
        expect(answer.status).toBe(416);
        expect(answer.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
      },
    );

    it('serves the whole body for a header it does not understand', async () => {
      const answer = await range('items=0-5');
      expect(answer.status).toBe(200);
      expect(Buffer.compare(answer.body, bytes)).toBe(0);
    });
  });

  it('refuses to read the data of a CREATING snapshot with 409', async () => {
    const id = await register();
    expectError(
      await alice().get(`/v1/snapshots/${id}/data`),
      409,
      'UnsupportedOperation.SnapshotNotNormal',
    );
  });

  it('an upload cut off mid-body leaves the snapshot CREATING, and a retry succeeds', async () => {
    const id = await register();
    const before = await eventCount(t);
    const bytes = randomBytes(4 * chunk);
    const { req, response } = rawPut(t.url, `/v1/snapshots/${id}/data`, {
      'content-length': bytes.length,
    });
    response.catch(() => undefined);
    req.write(bytes.subarray(0, chunk + 500));
    await sleep(200); // let the catalog store the first chunk
    req.destroy();

    // The catalog notices, drops the upload and releases its lock; then the retry goes through.
    const retried = await waitFor(
      async () => {
        const answer = await alice().put(`/v1/snapshots/${id}/data`, bytes);
        if (
          answer.status === 409 &&
          answer.body.error.code === 'UnsupportedOperation.UploadInProgress'
        )
          return false;
        return answer;
      },
      { timeoutMs: 10_000, what: 'the aborted upload to be dropped' },
    );
    expect(await eventCount(t)).toBe(before + 1); // only the retry's SnapshotDataStored
    expect(retried.status).toBe(200);
    expect(retried.body.sizeBytes).toBe(bytes.length);
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${id}/data`)).body, bytes)).toBe(0);
  });

  it('a second upload while one is streaming gets 409 UploadInProgress; the first then completes', async () => {
    const id = await register();
    const bytes = randomBytes(2 * chunk);
    const { req, response } = rawPut(t.url, `/v1/snapshots/${id}/data`, {
      'content-length': bytes.length,
    });
    req.write(bytes.subarray(0, 1000));
    await sleep(200);
    expectError(
      await alice().put(`/v1/snapshots/${id}/data`, Buffer.from('intruder')),
      409,
      'UnsupportedOperation.UploadInProgress',
    );
    req.end(bytes.subarray(1000));
    const answer = await response;
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(await bodyOf(answer)).state).toBe('NORMAL');
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${id}/data`)).body, bytes)).toBe(0);
  });

  it('answers 404 for an unknown snapshot and for another account’s', async () => {
    expectError(await alice().put('/v1/snapshots/snap-zzzzzzzz/data', Buffer.from('x')), 404);
    expectError(await alice().get('/v1/snapshots/snap-zzzzzzzz/data'), 404);
    const id = await register();
    expectError(
      await t.api.as(keys.bob).put(`/v1/snapshots/${id}/data`, Buffer.from('x')),
      404,
      'ResourceNotFound.Snapshot',
    );
    expect((await alice().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
  });
});
