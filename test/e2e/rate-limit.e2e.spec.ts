import { apiKeysEnv, keys, startTestCatalog, type TestCatalog } from '../support/catalog-harness';
import { eventCount, expectError, registration } from '../support/e2e-helpers';
import { refusedStart } from '../support/process-harness';

/** SNAPFERRY_RATE_LIMIT against a running catalog: per key (not per address), in the error shape. */
const limit = 5;
const aliceSecondKey = 'test-alice-key-000002';
let t: TestCatalog;

describe('per-key rate limit (SNAPFERRY_RATE_LIMIT=5/m)', () => {
  beforeAll(async () => {
    t = await startTestCatalog({
      SNAPFERRY_RATE_LIMIT: `${limit}/m`,
      SNAPFERRY_API_KEYS: `${apiKeysEnv},${aliceSecondKey}=alice:user`,
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 429 RequestLimitExceeded.KeyRateLimit with Retry-After once a key is over its limit', async () => {
    const alice = t.api.as(keys.alice);
    for (let i = 1; i <= limit; i++) {
      const answer = await alice.get('/v1/regions');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBe(String(limit));
      expect(answer.headers.get('x-ratelimit-remaining')).toBe(String(limit - i));
    }
    const refused = await alice.get('/v1/regions');
    expectError(refused, 429, 'RequestLimitExceeded.KeyRateLimit');
    expect(refused.body.error.message).toMatch(/more than 5 requests per minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The count is per key across every route, and a refused write changes nothing.
    const before = await eventCount(t);
    expectError(
      await alice.post('/v1/snapshots', registration()),
      429,
      'RequestLimitExceeded.KeyRateLimit',
    );
    expect(await eventCount(t)).toBe(before);
  });

  it('counts each key on its own: another key of the same account, other accounts', async () => {
    expect((await t.api.as(aliceSecondKey).get('/v1/regions')).status).toBe(200);
    expect((await t.api.as(keys.bob).get('/v1/regions')).status).toBe(200);
  });

  it('never limits health and metrics, and bad keys stay 401', async () => {
    for (let i = 0; i < 2 * limit; i++) {
      const health = await t.api.as().get('/health');
      expect(health.status).toBe(200);
      expect(health.headers.get('x-ratelimit-limit')).toBeNull();
      expect((await t.api.as().get('/metrics')).status).toBe(200);
      expectError(await t.api.as('not-a-key-0000000').get('/v1/regions'), 401);
    }
  });

  it('a bad SNAPFERRY_RATE_LIMIT stops the catalog at start with a clear message', async () => {
    const ended = await refusedStart('catalog', { ...t.env, SNAPFERRY_RATE_LIMIT: '50/fortnight' });
    expect(ended).toEqual({
      code: 1,
      stderr:
        'snapferry catalog failed to start: SNAPFERRY_RATE_LIMIT must be <requests>/<s|m|h> per API key, such as 50/s or 3000/m, or off; got "50/fortnight"\n',
    });
  });
});
