import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { manifestRoot } from '@snapferry/storage';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type ApiAnswer,
  type TestCatalog,
} from '../support/catalog-harness';
import { eventCount, expectError, registration } from '../support/e2e-helpers';

const deep = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const json = (value: unknown) => JSON.stringify(value);

/** Bodies that are wrong for every one of the three JSON endpoints. */
const junkForAll: [string, string][] = [
  ['not JSON', 'this is not json'],
  ['truncated JSON', '{"region": "ap-guangzhou"'],
  ['a JSON array', '[]'],
  ['an array of objects', json([registration()])],
  ['null', 'null'],
  ['a string', '"ap-guangzhou"'],
  ['a number', '42'],
  ['true', 'true'],
  ['an empty object', '{}'],
  ['an empty body', ''],
  ['only unknown fields', json({ hello: 'world' })],
  ['a __proto__ key', '{"__proto__": {"admin": true}}'],
  ['a constructor key', json({ constructor: { prototype: { polluted: true } } })],
  ['deeply nested objects', deep(5000)],
  ['deeply nested arrays', deepArray(5000)],
  ['a body over the size limit', json({ name: 'x'.repeat(300 * 1024) })],
  ['a NUL byte in the JSON text', '{"name": "a\u0000b"}'],
  [
    'invalid UTF-8',
    Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'),
  ],
];

const registerJunk: [string, unknown][] = [
  ['region as a number', registration({ region: 1 })],
  ['region as an array', registration({ region: ['ap-guangzhou'] })],
  ['region null', registration({ region: null })],
  ['region empty', registration({ region: '' })],
  ['region huge', registration({ region: 'ap-'.repeat(20_000) })],
  ['a bad diskId', registration({ diskId: 'vol-1' })],
  ['diskId upper case', registration({ diskId: 'disk-AAAA0001' })],
  ['diskId as an object', registration({ diskId: { $ne: null } })],
  ['an unknown diskUsage', registration({ diskUsage: 'ROOT_DISK' })],
  ['diskUsage lower case', registration({ diskUsage: 'data_disk' })],
  ['diskSizeGiB as a string', registration({ diskSizeGiB: '1' })],
  ['diskSizeGiB negative', registration({ diskSizeGiB: -1 })],
  ['diskSizeGiB zero', registration({ diskSizeGiB: 0 })],
  ['diskSizeGiB a float', registration({ diskSizeGiB: 1.5 })],
  ['diskSizeGiB too large', registration({ diskSizeGiB: 65537 })],
  ['diskSizeGiB 1e308', registration({ diskSizeGiB: 1e308 })],
  ['diskSizeGiB null', registration({ diskSizeGiB: null })],
  [
    'diskSizeGiB missing',
    { region: 'ap-guangzhou', diskId: 'disk-aaaa0001', diskUsage: 'DATA_DISK' },
  ],
  ['encrypted as a string', registration({ encrypted: 'yes' })],
  ['encrypted as a number', registration({ encrypted: 1 })],
  ['name as a number', registration({ name: 5 })],
  ['name as an object', registration({ name: { first: 'a' } })],
  ['name empty', registration({ name: '' })],
  ['name 61 characters', registration({ name: 'n'.repeat(61) })],
  ['name huge', registration({ name: 'n'.repeat(100_000) })],
  ['name with a NUL character', registration({ name: 'a\u0000b' })],
  ['name with a lone surrogate', registration({ name: 'a\ud800b' })],
  ['an extra field', registration({ accountId: 'bob' })],
  ['an extra state field', registration({ state: 'NORMAL' })],
  ['a nested extra object', registration({ extra: { deep: { deeper: [1, 2, 3] } } })],
];

const renameJunk: [string, unknown][] = [
  ['name missing', {}],
  ['name null', { name: null }],
  ['name as a number', { name: 7 }],
  ['name as an array', { name: ['a'] }],
  ['name empty', { name: '' }],
  ['name 61 characters', { name: 'n'.repeat(61) }],
  ['name with a NUL character', { name: 'a\u0000b' }],
  ['name with a lone surrogate', { name: '\udfff' }],
  ['an extra field', { name: 'ok', region: 'ap-shanghai' }],
];

const copyJunk: [string, unknown][] = [
  ['destinationRegions missing', { snapshotName: 'x' }],
  ['destinationRegions a string', { destinationRegions: 'ap-shanghai' }],
  ['destinationRegions null', { destinationRegions: null }],
  ['destinationRegions empty', { destinationRegions: [] }],
  ['destinationRegions repeated', { destinationRegions: ['ap-shanghai', 'ap-shanghai'] }],
  ['destinationRegions with a number', { destinationRegions: [1] }],
  ['destinationRegions with null', { destinationRegions: [null] }],
  ['destinationRegions with an object', { destinationRegions: [{ region: 'ap-shanghai' }] }],
  ['destinationRegions with a nested array', { destinationRegions: [['ap-shanghai']] }],
  ['destinationRegions with a huge string', { destinationRegions: ['a'.repeat(100_000)] }],
  [
    'destinationRegions very many',
    { destinationRegions: Array.from({ length: 5000 }, (_, i) => `xx-r${i}`) },
  ],
  ['snapshotName a number', { destinationRegions: ['ap-shanghai'], snapshotName: 1 }],
  ['snapshotName empty', { destinationRegions: ['ap-shanghai'], snapshotName: '' }],
  [
    'snapshotName 61 characters',
    { destinationRegions: ['ap-shanghai'], snapshotName: 'n'.repeat(61) },
  ],
  [
    'snapshotName with a NUL character',
    { destinationRegions: ['ap-shanghai'], snapshotName: '\u0000' },
  ],
  [
    'snapshotName with a lone surrogate',
    { destinationRegions: ['ap-shanghai'], snapshotName: 'x\ud83d' },
  ],
  ['clientToken a number', { destinationRegions: ['ap-shanghai'], clientToken: 12 }],
  ['clientToken empty', { destinationRegions: ['ap-shanghai'], clientToken: '' }],
  ['clientToken with spaces', { destinationRegions: ['ap-shanghai'], clientToken: 'a b' }],
  ['clientToken unicode', { destinationRegions: ['ap-shanghai'], clientToken: 'tökén' }],
  ['clientToken too long', { destinationRegions: ['ap-shanghai'], clientToken: 't'.repeat(65) }],
  ['an extra field', { destinationRegions: ['ap-shanghai'], sourceRegion: 'ap-beijing' }],
];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const chunk = { digest: sha256('a chunk'), size: 64 * 1024 };
/** A manifest that would be accepted, but for the one thing each case breaks. */
const manifest = (over: Record<string, unknown> = {}) => ({
  chunkSize: 64 * 1024,
  imageDigest: sha256('an image'),
  root: manifestRoot([chunk]),
  chunks: [chunk],
  ...over,
});
const rooted = (chunks: unknown[]) => manifest({ chunks, root: sha256(JSON.stringify(chunks)) });

const manifestJunk: [string, unknown][] = [
  ['chunks missing', { chunkSize: 65536, imageDigest: sha256('i'), root: sha256('r') }],
  ['chunks null', manifest({ chunks: null })],
  ['chunks an object', manifest({ chunks: { 0: chunk } })],
  ['chunks with null', rooted([null])],
  ['chunks with an array', rooted([[chunk.digest, chunk.size]])],
  ['chunks with a string', rooted([chunk.digest])],
  ['a chunk digest as an object', rooted([{ digest: { $ne: null }, size: 1 }])],
  ['a chunk digest too short', rooted([{ digest: 'ab', size: 1 }])],
  ['a chunk size negative', rooted([{ digest: chunk.digest, size: -1 }])],
  ['a chunk size 1e308', rooted([{ digest: chunk.digest, size: 1e308 }])],
  ['a chunk size a string', rooted([{ digest: chunk.digest, size: '1' }])],
  ['a chunk with __proto__', rooted([JSON.parse(`{"__proto__": {"size": 1}}`)])],
  ['chunks over the limit', manifest({ chunks: Array.from({ length: 300_001 }, () => 0) })],
  ['chunkSize a string', manifest({ chunkSize: '65536' })],
  ['chunkSize zero', manifest({ chunkSize: 0 })],
  ['chunkSize 1e308', manifest({ chunkSize: 1e308 })],
  ['chunkSize 2^53', manifest({ chunkSize: 2 ** 53 })],
  ['imageDigest upper case', manifest({ imageDigest: sha256('i').toUpperCase() })],
  ['imageDigest missing', manifest({ imageDigest: undefined })],
  ['root a number', manifest({ root: 1 })],
  ['root of other chunks', manifest({ root: sha256('other') })],
  ['an extra field', manifest({ totalLength: 65536 })],
];

/** Junk input never reaches the event store and never answers 5xx. */
describe('junk input', () => {
  let t: TestCatalog;
  let sourceId: string;
  let renameId: string;
  let uploadId: string;
  beforeAll(async () => {
    t = await startTestCatalog();
    expect((await t.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    sourceId = await normalSnapshot(t.api, keys.alice);
    renameId = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-rename01' });
    uploadId = (await t.api.as(keys.alice).post('/v1/snapshots', registration())).body.snapshotId;
  });
  afterAll(() => t?.stop());

  const send = (method: string, path: string, raw: string | undefined, type = 'application/json') =>
    t.api.call(
      keys.alice,
      method,
      path,
      raw === undefined ? undefined : raw,
      raw === undefined ? {} : { 'content-type': type },
    );
  const expect4xx = (answer: ApiAnswer, what: string) => {
    if (answer.status < 400 || answer.status >= 500)
      throw new Error(
        `${what}: answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
      );
    expectError(answer, answer.status);
  };

  /** Counts the events written since it was made: each call, those since the call before. */
  const eventCounter = async () => {
    let position = (await t.api.as(keys.operator).get('/v1/events?limit=1000')).body.next as string;
    return async () => {
      const page = await t.api.as(keys.operator).get(`/v1/events?after=${position}&limit=1000`);
      position = page.body.next;
      return page.body.events.length as number;
    };
  };

  const endpoints = (): [string, string, string][] => [
    ['POST /v1/snapshots', 'POST', '/v1/snapshots'],
    ['PATCH /v1/snapshots/{id}', 'PATCH', `/v1/snapshots/${renameId}`],
    ['POST /v1/snapshots/{id}/copies', 'POST', `/v1/snapshots/${sourceId}/copies`],
    ['POST /v1/snapshots/{id}/data/manifest', 'POST', `/v1/snapshots/${uploadId}/data/manifest`],
  ];

  it('refuses every junk body with a 4xx in the error shape and writes nothing', async () => {
    const before = await eventCount(t);
    const cases: [string, string, string, string][] = [];
    for (const [name, method, path] of endpoints())
      for (const [what, raw] of junkForAll) cases.push([`${name} with ${what}`, method, path, raw]);
    for (const [what, body] of registerJunk)
      cases.push([`POST /v1/snapshots with ${what}`, 'POST', '/v1/snapshots', json(body)]);
    for (const [what, body] of renameJunk)
      cases.push([`PATCH with ${what}`, 'PATCH', `/v1/snapshots/${renameId}`, json(body)]);
    for (const [what, body] of copyJunk)
      cases.push([
        `POST copies with ${what}`,
        'POST',
        `/v1/snapshots/${sourceId}/copies`,
        json(body),
      ]);
    for (const [what, body] of manifestJunk)
      cases.push([
        `POST manifest with ${what}`,
        'POST',
        `/v1/snapshots/${uploadId}/data/manifest`,
        json(body),
      ]);
    const failures: string[] = [];
    for (const [what, method, path, raw] of cases) {
      try {
        expect4xx(await send(method, path, raw), what);
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await eventCount(t)).toBe(before);
    expect((await t.api.as(keys.alice).get(`/v1/snapshots/${renameId}`)).body.name).toBe(
      'Snapshot of disk-rename01',
    );
    // no junk manifest was recorded as the upload's plan
    expectError(
      await t.api
        .as(keys.alice)
        .put(`/v1/snapshots/${uploadId}/data/chunks/${chunk.digest}`, Buffer.alloc(10)),
      409,
      'UnsupportedOperation.NoUploadPlan',
    );
  });

  it('refuses JSON sent with the wrong content type or an unsupported charset, and junk queries', async () => {
    const before = await eventCount(t);
    const failures: string[] = [];
    const check = async (what: string, answer: Promise<ApiAnswer>) => {
      try {
        expect4xx(await answer, what);
      } catch (error) {
        failures.push((error as Error).message.split('\n')[0]!);
      }
    };
    for (const [name, method, path] of endpoints()) {
      await check(`${name} as text/plain`, send(method, path, json(registration()), 'text/plain'));
      await check(
        `${name} as form data`,
        send(method, path, 'region=ap-guangzhou', 'application/x-www-form-urlencoded'),
      );
      await check(
        `${name} in UTF-16`,
        send(method, path, json(registration()), 'application/json; charset=utf-16'),
      );
      await check(
        `${name} with a bad gzip body`,
        t.api.call(keys.alice, method, path, 'not gzip', {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
      );
      await check(
        `${name} with an unknown encoding`,
        t.api.call(keys.alice, method, path, '{}', {
          'content-type': 'application/json',
          'content-encoding': 'br2',
        }),
      );
    }
    for (const query of [
      'region[]=ap-guangzhou',
      'region=ap-guangzhou&region=ap-shanghai',
      'region[a]=b',
      `region=${'a'.repeat(10_000)}`,
      'region=ap-guangzhou&limit=1.5',
      'region=%00',
      'region=ap-guangzhou&diskId=disk-aaaa0001%00',
      'region=ap-guangzhou&offset=99999999999999999999',
      'region=%E0%A4%A',
      'region=ap-guangzhou&state[]=NORMAL',
    ])
      await check(`list ?${query}`, t.api.as(keys.alice).get(`/v1/snapshots?${query}`));
    for (const query of [
      'after=-1',
      'after=abc',
      'after=1e5',
      `after=${'9'.repeat(30)}`,
      'limit=0',
      'limit=1001',
      'type=a b',
      'streamId=Bad Id',
      'after[]=1',
    ])
      await check(`events ?${query}`, t.api.as(keys.alice).get(`/v1/events?${query}`));
    for (const query of [
      'sourceSnapshotId=x',
      'limit=-1',
      'offset=a',
      'offset=99999999999999999999',
      'offset=1e300',
    ])
      await check(`replications ?${query}`, t.api.as(keys.alice).get(`/v1/replications?${query}`));
    for (const id of ['-', 'a'.repeat(65), 'a b', '..'])
      await check(
        `beta for ${id}`,
        t.api.as(keys.operator).put(`/v1/accounts/${encodeURIComponent(id)}/beta`),
      );
    expect(failures).toEqual([]);
    expect(await eventCount(t)).toBe(before);
  });

  it('takes null optional fields as absent', async () => {
    const created = await t.api
      .as(keys.alice)
      .post('/v1/snapshots', registration({ name: null, encrypted: null }));
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({ name: 'Snapshot of disk-aaaa0001', encrypted: false }),
    );
    const copied = await t.api.as(keys.alice).post(`/v1/snapshots/${sourceId}/copies`, {
      destinationRegions: ['ap-chengdu'],
      snapshotName: null,
      clientToken: null,
    });
    expect(copied.status).toBe(202);
    expect(
      (await t.api.as(keys.alice).get(`/v1/snapshots/${copied.body.results[0].snapshotId}`)).body
        .name,
    ).toBe(`Copied ${sourceId} from ap-guangzhou`);
  });

  it('accepts unicode names that fit and keeps them intact', async () => {
    const name = 'снимок 📸 диска — 数据盘';
    const created = await t.api.as(keys.alice).post('/v1/snapshots', registration({ name }));
    expect(created.status).toBe(201);
    expect(
      (await t.api.as(keys.alice).get(`/v1/snapshots/${created.body.snapshotId}`)).body.name,
    ).toBe(name);
  });

  it('property: no copy request body makes the catalog answer 5xx, and only a 202 writes events', async () => {
    const regions = [
      'ap-shanghai',
      'ap-beijing',
      'ap-guangzhou',
      'ap-shenzhen-fsi',
      'na-siliconvalley',
      'xx-nowhere',
      'ap-singapore',
      '',
    ];
    const anyValue = fc.oneof(
      fc.anything(),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string()),
    );
    const region = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...regions) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
      anyValue,
    );
    const body = fc.oneof(
      fc.anything(),
      fc.object(),
      fc.record(
        {
          destinationRegions: fc.oneof(
            { weight: 4, arbitrary: fc.array(region, { maxLength: 6 }) },
            anyValue,
          ),
          snapshotName: fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), anyValue),
          clientToken: fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 70 }), anyValue),
          extra: anyValue,
        },
        { requiredKeys: [] },
      ),
    );
    const newEvents = await eventCounter();
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const raw = JSON.stringify(value);
        const answer = await send('POST', `/v1/snapshots/${sourceId}/copies`, raw);
        if (answer.status >= 500) throw new Error(`5xx for ${raw}: ${JSON.stringify(answer.body)}`);
        if (answer.status === 202) {
          expect(answer.body.results).toEqual(expect.any(Array));
          const accepted = answer.body.results.filter(
            (r: { code: string }) => r.code === 'Success',
          ).length;
          // A replayed clientToken writes nothing; a fresh accepted copy writes three events.
          expect([0, 3 * accepted]).toContain(await newEvents());
        } else {
          expectError(answer, answer.status);
          expect(await newEvents()).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('property: no registration body makes the catalog answer 5xx, and only a 201 writes an event', async () => {
    const anyValue = fc.oneof(
      fc.anything(),
      fc.string({ unit: 'binary' }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
    );
    const body = fc.oneof(
      fc.anything(),
      fc.record(
        {
          region: fc.oneof(
            {
              weight: 3,
              arbitrary: fc.constantFrom('ap-guangzhou', 'ap-shanghai-fsi', 'xx-nowhere'),
            },
            anyValue,
          ),
          diskId: fc.oneof(
            { weight: 3, arbitrary: fc.stringMatching(/^disk-[a-z0-9]{8}$/) },
            anyValue,
          ),
          diskUsage: fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom('DATA_DISK', 'SYSTEM_DISK') },
            anyValue,
          ),
          diskSizeGiB: fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: -2, max: 70_000 }) },
            anyValue,
          ),
          name: fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), anyValue),
          encrypted: fc.oneof(fc.boolean(), anyValue),
          extra: anyValue,
        },
        { requiredKeys: [] },
      ),
    );
    const newEvents = await eventCounter();
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const raw = JSON.stringify(value);
        const answer = await send('POST', '/v1/snapshots', raw);
        if (answer.status >= 500) throw new Error(`5xx for ${raw}: ${JSON.stringify(answer.body)}`);
        if (answer.status === 201) expect(await newEvents()).toBe(1);
        else {
          expectError(answer, answer.status);
          expect(await newEvents()).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });
});
