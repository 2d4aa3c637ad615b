import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { allEvents, eventCount, expectError, registration } from '../support/e2e-helpers';

/** Tags on the real catalog: create, change, filter, the rules per field, and copies carrying them. */
describe('snapshot tags', () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
    expect((await t.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);
  const create = async (
    region: string,
    tags: { key: string; value: string }[],
    diskId = 'disk-tags0001',
  ) => {
    const created = await alice().post('/v1/snapshots', registration({ region, diskId, tags }));
    expect(created.status).toBe(201);
    return created.body.snapshotId as string;
  };
  const listIds = async (query: string) => {
    const answer = await alice().get(`/v1/snapshots?${query}`);
    expect(answer.status).toBe(200);
    return (answer.body.snapshots as { snapshotId: string }[]).map((s) => s.snapshotId).sort();
  };

  it('round-trips tags on create, read and list; PATCH replaces them with one past-tense event', async () => {
    const tags = [
      { key: 'tier', value: 'gold' },
      { key: 'Umgebung', value: 'Prüfung' },
      { key: 'team/owner', value: 'a@b.c' },
      { key: 'empty', value: '' },
    ];
    const id = await create('ap-singapore', tags);
    expect((await alice().get(`/v1/snapshots/${id}`)).body.tags).toEqual(tags);
    const listed = await alice().get('/v1/snapshots?region=ap-singapore');
    expect(
      listed.body.snapshots.find((s: { snapshotId: string }) => s.snapshotId === id).tags,
    ).toEqual(tags);

    const patched = await alice().patch(`/v1/snapshots/${id}`, {
      tags: [{ key: 'tier', value: 'silver' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual([{ key: 'tier', value: 'silver' }]);
    expect(patched.body.name).toEqual(expect.any(String));
    // The same set again appends nothing; name and tags at once both change.
    const before = await eventCount(t);
    expect(
      (await alice().patch(`/v1/snapshots/${id}`, { tags: [{ key: 'tier', value: 'silver' }] }))
        .status,
    ).toBe(200);
    expect(await eventCount(t)).toBe(before);
    const both = await alice().patch(`/v1/snapshots/${id}`, { name: 'renamed', tags: [] });
    expect(both.body).toEqual(expect.objectContaining({ name: 'renamed', tags: [] }));
    const changes = (await allEvents(t)).filter(
      (e) => e.type === 'SnapshotTagsChanged' && e.data.snapshotId === id,
    );
    expect(changes.map((e) => e.data.tags)).toEqual([[{ key: 'tier', value: 'silver' }], []]);
    expect(changes[0]!.data.changedAt).toEqual(expect.any(String));
  });

  it('filters a list by tag:<key>=<value>, repeatable, all must match', async () => {
    const region = 'eu-frankfurt';
    const gold = await create(region, [
      { key: 'tier', value: 'gold' },
      { key: 'env', value: 'prod' },
    ]);
    const goldDev = await create(region, [
      { key: 'tier', value: 'gold' },
      { key: 'env', value: 'dev' },
    ]);
    const silver = await create(region, [{ key: 'tier', value: 'silver' }]);
    await create(region, []);
    expect(await listIds(`region=${region}&tag:tier=gold`)).toEqual([gold, goldDev].sort());
    expect(await listIds(`region=${region}&tag:tier=gold&tag:env=prod`)).toEqual([gold]);
    expect(await listIds(`region=${region}&tag:tier=silver&diskId=disk-tags0001`)).toEqual([
      silver,
    ]);
    // The same key twice with two values: all must match, so nothing does.
    expect(await listIds(`region=${region}&tag:tier=gold&tag:tier=silver`)).toEqual([]);
    expect(await listIds(`region=${region}&tag:tier=bronze`)).toEqual([]);
    // Keys and values are URL-encoded like any parameter; the total counts matches only.
    const encoded = await create(region, [{ key: 'team/owner', value: 'db ops' }]);
    const answer = await alice().get(
      `/v1/snapshots?region=${region}&${encodeURIComponent('tag:team/owner')}=${encodeURIComponent('db ops')}`,
    );
    expect(answer.body).toEqual(expect.objectContaining({ total: 1 }));
    expect(answer.body.snapshots[0].snapshotId).toBe(encoded);
    // Another account's tags never match.
    const bobs = await t.api.as(keys.bob).get(`/v1/snapshots?region=${region}&tag:tier=gold`);
    expect(bobs.body.total).toBe(0);
  });

  it('refuses wrong tags per field (reserved keys, too many, too long, charset) and writes nothing', async () => {
    const before = await eventCount(t);
    const reserved = await alice().post(
      '/v1/snapshots',
      registration({
        tags: [
          { key: 'ok', value: 'v' },
          { key: 'snapferry:policy', value: 'pol-aaaa0001' },
        ],
      }),
    );
    expectError(reserved, 400, 'InvalidParameterValue.TagKeyReserved');
    expect(reserved.body.error.fields).toEqual([
      {
        field: 'tags.1.key',
        code: 'InvalidParameterValue.TagKeyReserved',
        message: expect.stringContaining('snapferry:'),
      },
    ]);
    const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    const tooMany = await alice().post('/v1/snapshots', registration({ tags: many }));
    expectError(tooMany, 400, 'InvalidParameterValue.Tags');
    expect(tooMany.body.error.fields[0].field).toBe('tags');
    const mixed = await alice().post(
      '/v1/snapshots',
      registration({
        tags: [
          { key: 'k'.repeat(128), value: 'v' },
          { key: 'ok', value: 'semi;colon' },
        ],
      }),
    );
    expectError(mixed, 400, 'InvalidParameterValue');
    expect(mixed.body.error.fields.map((f: { field: string }) => f.field)).toEqual([
      'tags.0.key',
      'tags.1.value',
    ]);
    // Wrong shapes are refused by the body's validation, also per field.
    const shape = await alice().post('/v1/snapshots', registration({ tags: [{ key: 1 }] }));
    expectError(shape, 400, 'InvalidParameter');
    expect(shape.body.error.fields.map((f: { field: string }) => f.field)).toEqual(
      expect.arrayContaining(['tags.0.key', 'tags.0.value']),
    );
    // PATCH refuses the same way and changes nothing.
    const id = await create('ap-guangzhou', [{ key: 'tier', value: 'gold' }]);
    const afterCreate = await eventCount(t);
    expectError(
      await alice().patch(`/v1/snapshots/${id}`, {
        tags: [{ key: 'snapferry:source-region', value: 'x' }],
      }),
      400,
      'InvalidParameterValue.TagKeyReserved',
    );
    expectError(await alice().patch(`/v1/snapshots/${id}`, { name: 'x', tags: many }), 400);
    expectError(await alice().patch(`/v1/snapshots/${id}`, {}), 400, 'MissingParameter');
    expect(await eventCount(t)).toBe(afterCreate);
    expect(afterCreate).toBe(before + 1);
    expect((await alice().get(`/v1/snapshots/${id}`)).body.name).not.toBe('x');
    // A filter with a key that cannot be a tag is refused, naming the parameter.
    const filter = await alice().get(
      `/v1/snapshots?region=ap-guangzhou&${encodeURIComponent('tag:a;b')}=c`,
    );
    expectError(filter, 400, 'InvalidParameterValue.TagKey');
    expect(filter.body.error.fields[0].field).toBe('tag:a;b');
    expectError(await alice().get('/v1/snapshots?region=ap-guangzhou&tagFilters=x&bogus=1'), 400);
  });

  it('a copy carries its source tags plus snapferry:source-snapshot and snapferry:source-region', async () => {
    const source = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-tagcopy1' });
    await alice().patch(`/v1/snapshots/${source}`, {
      tags: [
        { key: 'tier', value: 'gold' },
        { key: 'app', value: 'orders' },
      ],
    });
    const answer = await alice().post(`/v1/snapshots/${source}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    expect(answer.status).toBe(202);
    const target = answer.body.results[0].snapshotId as string;
    const expected = [
      { key: 'tier', value: 'gold' },
      { key: 'app', value: 'orders' },
      { key: 'snapferry:source-snapshot', value: source },
      { key: 'snapferry:source-region', value: 'ap-guangzhou' },
    ];
    expect((await alice().get(`/v1/snapshots/${target}`)).body.tags).toEqual(expected);
    // The copy is found by its origin; its user tags can change, its origin tags stay.
    expect(await listIds(`region=ap-shanghai&tag:snapferry:source-snapshot=${source}`)).toEqual([
      target,
    ]);
    const patched = await alice().patch(`/v1/snapshots/${target}`, {
      tags: [{ key: 'tier', value: 'dr' }],
    });
    expect(patched.body.tags).toEqual([
      { key: 'snapferry:source-snapshot', value: source },
      { key: 'snapferry:source-region', value: 'ap-guangzhou' },
      { key: 'tier', value: 'dr' },
    ]);
  });
});
