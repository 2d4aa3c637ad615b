import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { manifestRoot } from '@snapferry/storage';
import { type apiClient, keys, type ApiAnswer, type TestCatalog } from './catalog-harness';

/** Every event in the log as the operator sees it (pages through the whole log). */
export async function allEvents(
  t: TestCatalog,
): Promise<{ globalPosition: string; type: string; streamId: string; data: any; metadata: any }[]> {
  const events = [];
  let after = '0';
  for (;;) {
    const page = await t.api.as(keys.operator).get(`/v1/events?after=${after}&limit=1000`);
    if (page.status !== 200) throw new Error(`events: ${page.status} ${JSON.stringify(page.body)}`);
    events.push(...page.body.events);
    if (page.body.events.length < 1000) return events;
    after = page.body.next;
  }
}

export const eventCount = async (t: TestCatalog) => (await allEvents(t)).length;

/**
 * The documented error shape: `{error: {code, message, requestId, fields?}}` (`fields`: one
 * `{field, code, message}` per refused field) and the request id echoed.
 */
export function expectError(answer: ApiAnswer, status: number, code?: string | RegExp): void {
  const fields: unknown = answer.body?.error?.fields;
  if (fields !== undefined)
    expect(fields).toEqual(
      expect.arrayContaining([
        { field: expect.any(String), code: expect.any(String), message: expect.any(String) },
      ]),
    );
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: {
      error: {
        code:
          code === undefined
            ? expect.stringMatching(/^[A-Z][A-Za-z]+(\.[A-Za-z]+)?$/)
            : typeof code === 'string'
              ? code
              : expect.stringMatching(code),
        message: expect.any(String),
        requestId: expect.any(String),
        ...(fields === undefined ? {} : { fields }),
      },
    },
  });
  expect(answer.headers.get('x-request-id')).toBe(answer.body.error.requestId);
}

/** The manifest root of `image` cut into chunks of `chunkSize`: what a snapshot of it shows as `root`. */
export function rootOf(image: Buffer, chunkSize: number): string {
  const chunks = [];
  for (let at = 0; at < image.length; at += chunkSize) {
    const bytes = image.subarray(at, at + chunkSize);
    chunks.push({ digest: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
  }
  return manifestRoot(chunks);
}

/** A random NORMAL-able registration body. */
export const registration = (over: Record<string, unknown> = {}) => ({
  region: 'ap-guangzhou',
  diskId: 'disk-aaaa0001',
  diskUsage: 'DATA_DISK',
  diskSizeGiB: 1,
  ...over,
});

/** Registers `registration(over)` as `key` (alice unless told), expects a 201; returns the id. */
export async function registered(
  api: ReturnType<typeof apiClient>,
  over: Record<string, unknown> = {},
  key: string = keys.alice,
): Promise<string> {
  const created = await api.as(key).post('/v1/snapshots', registration(over));
  expect(created.status).toBe(201);
  return created.body.snapshotId as string;
}

/**
 * PUT (or `method`) of a body that the server may answer before reading it all (413, 507): fetch fails on
 * the broken pipe, so this reads the answer as a real client such as curl does.
 */
export function putEarlyAnswered(
  base: string,
  path: string,
  key: string,
  body: Buffer,
  method = 'PUT',
): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(
      {
        host: hostname,
        port,
        method,
        path,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/octet-stream',
          'content-length': body.length,
        },
      },
      (response) => {
        answered = true;
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.end(body);
  });
}
