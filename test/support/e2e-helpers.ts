import { keys, type ApiAnswer, type TestCatalog } from './catalog-harness';

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

/** The documented error shape: `{error: {code, message, requestId}}` and the request id echoed. */
export function expectError(answer: ApiAnswer, status: number, code?: string | RegExp): void {
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
      },
    },
  });
  expect(answer.headers.get('x-request-id')).toBe(answer.body.error.requestId);
}

/** A random NORMAL-able registration body. */
export const registration = (over: Record<string, unknown> = {}) => ({
  region: 'ap-guangzhou',
  diskId: 'disk-aaaa0001',
  diskUsage: 'DATA_DISK',
  diskSizeGiB: 1,
  ...over,
});
