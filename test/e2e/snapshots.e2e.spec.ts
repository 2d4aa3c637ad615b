import { setTimeout as sleep } from 'node:timers/promises';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { eventCount, expectError, registration } from '../support/e2e-helpers';

/** POST/GET/PATCH/DELETE /v1/snapshots and the list, on the real PostgreSQL. */
describe('snapshots API', () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);
  const bob = () => t.api.as(keys.bob);

  it('registers a snapshot: 201, CREATING, a cloud-like id, the fields sent', async () => {
    const created = await alice().post(
      '/v1/snapshots',
      registration({ diskId: 'disk-reg00001', name: 'first', encrypted: true, diskSizeGiB: 20 }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({
        snapshotId: expect.stringMatching(/^snap-[a-z0-9]{8}$/),
        region: 'ap-guangzhou',
        diskId: 'disk-reg00001',
        diskUsage: 'DATA_DISK',
        diskSizeGiB: 20,
        name: 'first',
        encrypted: true,
        state: 'CREATING',
        copyFromRemote: false,
        copyingToRegions: [],
      }),
    );
    const read = await alice().get(`/v1/snapshots/${created.body.snapshotId}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('gives a default name and encrypted=false when they are left out', async () => {
    const created = await alice().post('/v1/snapshots', registration({ diskId: 'disk-reg00002' }));
    expect(created.status).toBe(201);
    expect(created.body.name).toEqual(expect.any(String));
    expect(created.body.name.length).toBeGreaterThan(0);
    expect(created.body.encrypted).toBe(false);
  });

  it('refuses an unknown region (400 InvalidParameterValue.Region) and writes nothing', async () => {
    const before = await eventCount(t);
    expectError(
      await alice().post('/v1/snapshots', registration({ region: 'xx-nowhere' })),
      400,
      'InvalidParameterValue.Region',
    );
    expectError(await alice().post('/v1/snapshots', registration({ region: 'mars' })), 400);
    expect(await eventCount(t)).toBe(before);
  });

  it('accepts a 60-character name and refuses 61', async () => {
    expect(
      (await alice().post('/v1/snapshots', registration({ name: 'n'.repeat(60) }))).status,
    ).toBe(201);
    expectError(await alice().post('/v1/snapshots', registration({ name: 'n'.repeat(61) })), 400);
  });

  it('lists one region newest first, paged with offset/limit and a total', async () => {
    const region = 'ap-singapore';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await alice().post(
        '/v1/snapshots',
        registration({ region, diskId: `disk-page000${i}` }),
      );
      ids.push(created.body.snapshotId);
      await sleep(3); // distinct creation times
    }
    const newestFirst = [...ids].reverse();
    const all = await alice().get(`/v1/snapshots?region=${region}`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual(expect.objectContaining({ region, total: 5, offset: 0, limit: 20 }));
    expect(all.body.snapshots.map((s: any) => s.snapshotId)).toEqual(newestFirst);

    const page = await alice().get(`/v1/snapshots?region=${region}&offset=1&limit=2`);
    expect(page.body).toEqual(expect.objectContaining({ total: 5, offset: 1, limit: 2 }));
    expect(page.body.snapshots.map((s: any) => s.snapshotId)).toEqual(newestFirst.slice(1, 3));

    const beyond = await alice().get(`/v1/snapshots?region=${region}&offset=10&limit=2`);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toEqual(expect.objectContaining({ total: 5, snapshots: [] }));

    const empty = await alice().get('/v1/snapshots?region=ap-tokyo');
    expect(empty.body).toEqual(expect.objectContaining({ total: 0, snapshots: [] }));
  });

  it('refuses bad list queries with 400', async () => {
    for (const q of [
      '',
      '?region=AP',
      '?region=ap-guangzhou&limit=0',
      '?region=ap-guangzhou&limit=101',
      '?region=ap-guangzhou&offset=-1',
      '?region=ap-guangzhou&limit=abc',
      '?region=ap-guangzhou&state=DELETED',
      '?region=ap-guangzhou&diskId=nope',
      '?region=ap-guangzhou&extra=1',
    ])
      expectError(await alice().get(`/v1/snapshots${q}`), 400);
  });

  it('filters the list by state and diskId', async () => {
    const region = 'ap-seoul';
    const normal = await normalSnapshot(t.api, keys.alice, { region, diskId: 'disk-filt0001' });
    const creating = (
      await alice().post('/v1/snapshots', registration({ region, diskId: 'disk-filt0002' }))
    ).body.snapshotId;
    const other = (
      await alice().post('/v1/snapshots', registration({ region, diskId: 'disk-filt0001' }))
    ).body.snapshotId;

    const byState = await alice().get(`/v1/snapshots?region=${region}&state=NORMAL`);
    expect(byState.body.total).toBe(1);
    expect(byState.body.snapshots.map((s: any) => [s.snapshotId, s.state])).toEqual([
      [normal, 'NORMAL'],
    ]);
    const creatingList = await alice().get(`/v1/snapshots?region=${region}&state=CREATING`);
    expect(creatingList.body.snapshots.map((s: any) => s.snapshotId).sort()).toEqual(
      [creating, other].sort(),
    );

    const byDisk = await alice().get(`/v1/snapshots?region=${region}&diskId=disk-filt0001`);
    expect(byDisk.body.total).toBe(2);
    expect(byDisk.body.snapshots.map((s: any) => s.snapshotId).sort()).toEqual(
      [normal, other].sort(),
    );
    const both = await alice().get(
      `/v1/snapshots?region=${region}&diskId=disk-filt0001&state=CREATING`,
    );
    expect(both.body.snapshots.map((s: any) => s.snapshotId)).toEqual([other]);
    const none = await alice().get(`/v1/snapshots?region=${region}&state=FAILED`);
    expect(none.body).toEqual(expect.objectContaining({ total: 0, snapshots: [] }));
  });

  it('renames with PATCH; the same name again changes nothing; bad names are refused', async () => {
    const id = (await alice().post('/v1/snapshots', registration({ name: 'before' }))).body
      .snapshotId;
    const renamed = await alice().patch(`/v1/snapshots/${id}`, { name: 'after' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual(expect.objectContaining({ snapshotId: id, name: 'after' }));
    expect((await alice().get(`/v1/snapshots/${id}`)).body.name).toBe('after');

    const before = await eventCount(t);
    expect((await alice().patch(`/v1/snapshots/${id}`, { name: 'after' })).status).toBe(200);
    expectError(await alice().patch(`/v1/snapshots/${id}`, { name: 'x'.repeat(61) }), 400);
    expectError(await alice().patch(`/v1/snapshots/${id}`, { name: '' }), 400);
    expectError(await alice().patch(`/v1/snapshots/${id}`, {}), 400);
    expectError(
      await alice().patch(`/v1/snapshots/snap-zzzzzzzz`, { name: 'x' }),
      404,
      'ResourceNotFound.Snapshot',
    );
    expect(await eventCount(t)).toBe(before);
  });

  it('deletes: 204, then 404, and the snapshot leaves the list', async () => {
    const region = 'ap-bangkok';
    const keep = (await alice().post('/v1/snapshots', registration({ region }))).body.snapshotId;
    const id = await normalSnapshot(t.api, keys.alice, { region });
    expect((await alice().get(`/v1/snapshots?region=${region}`)).body.total).toBe(2);

    const deleted = await alice().delete(`/v1/snapshots/${id}`);
    expect(deleted.status).toBe(204);
    expectError(await alice().get(`/v1/snapshots/${id}`), 404, 'ResourceNotFound.Snapshot');
    expectError(await alice().delete(`/v1/snapshots/${id}`), 404, 'ResourceNotFound.Snapshot');
    expectError(
      await alice().patch(`/v1/snapshots/${id}`, { name: 'ghost' }),
      404,
      'ResourceNotFound.Snapshot',
    );
    expectError(await alice().get(`/v1/snapshots/${id}/data`), 404);
    const list = await alice().get(`/v1/snapshots?region=${region}`);
    expect(list.body.total).toBe(1);
    expect(list.body.snapshots.map((s: any) => s.snapshotId)).toEqual([keep]);
  });

  it('answers 404 for ids that cannot exist, without touching the store', async () => {
    for (const id of [
      'snap-zzzzzzzz',
      'snap-ABCDEFGH',
      'nope',
      'snap-1234567',
      `snap-${'a'.repeat(200)}`,
      '%00',
    ])
      expectError(await alice().get(`/v1/snapshots/${id}`), 404);
  });

  it('keeps accounts apart: bob gets 404 for alice’s snapshot and does not list it', async () => {
    const region = 'ap-mumbai';
    const id = await normalSnapshot(t.api, keys.alice, { region });
    expectError(await bob().get(`/v1/snapshots/${id}`), 404, 'ResourceNotFound.Snapshot');
    expectError(
      await bob().patch(`/v1/snapshots/${id}`, { name: 'mine now' }),
      404,
      'ResourceNotFound.Snapshot',
    );
    expectError(await bob().delete(`/v1/snapshots/${id}`), 404, 'ResourceNotFound.Snapshot');
    expectError(await bob().get(`/v1/snapshots/${id}/data`), 404);
    expectError(await bob().put(`/v1/snapshots/${id}/data`, Buffer.from('x')), 404);
    // Not in beta: refused before the snapshot is even looked at (so it says nothing about it).
    expectError(
      await bob().post(`/v1/snapshots/${id}/copies`, { destinationRegions: ['ap-shanghai'] }),
      403,
      'UnauthorizedOperation.NotInBeta',
    );
    expect((await t.api.as(keys.operator).put('/v1/accounts/bob/beta')).status).toBe(200);
    expectError(
      await bob().post(`/v1/snapshots/${id}/copies`, { destinationRegions: ['ap-shanghai'] }),
      404,
      'ResourceNotFound.Snapshot',
    );
    expect((await bob().get(`/v1/snapshots?region=${region}`)).body).toEqual(
      expect.objectContaining({ total: 0, snapshots: [] }),
    );
    // ... and alice's snapshot is untouched.
    const still = await alice().get(`/v1/snapshots/${id}`);
    expect(still.status).toBe(200);
    expect(still.body.name).not.toBe('mine now');
    expect((await alice().get(`/v1/snapshots?region=${region}`)).body.total).toBe(1);
  });

  it('answers 401 without a key or with a bad one, in the documented shape', async () => {
    const none = await t.api.as().get('/v1/snapshots?region=ap-guangzhou');
    expectError(none, 401, /^AuthFailure\./);
    expectError(
      await t.api.as('not-a-real-key').get('/v1/snapshots?region=ap-guangzhou'),
      401,
      /^AuthFailure\./,
    );
    expectError(await t.api.as().post('/v1/snapshots', registration()), 401);
    const basic = await t.api.call(
      undefined,
      'GET',
      '/v1/snapshots?region=ap-guangzhou',
      undefined,
      { authorization: `Basic ${keys.alice}` },
    );
    expectError(basic, 401);
    const lower = await t.api.call(
      undefined,
      'GET',
      '/v1/snapshots?region=ap-guangzhou',
      undefined,
      { authorization: `bearer ${keys.alice}` },
    );
    expect(lower.status).toBe(200);
  });

  it('echoes a valid x-request-id in the header and the error body, and makes one up otherwise', async () => {
    const echoed = await t.api.call(keys.alice, 'GET', '/v1/snapshots/snap-zzzzzzzz', undefined, {
      'x-request-id': 'my-request-0001',
    });
    expectError(echoed, 404);
    expect(echoed.body.error.requestId).toBe('my-request-0001');
    expect(echoed.headers.get('x-request-id')).toBe('my-request-0001');

    const ok = await t.api.call(keys.alice, 'GET', '/v1/snapshots?region=ap-guangzhou', undefined, {
      'x-request-id': 'my-request-0002',
    });
    expect(ok.headers.get('x-request-id')).toBe('my-request-0002');

    const invented = await t.api.call(keys.alice, 'GET', '/v1/snapshots/snap-zzzzzzzz', undefined, {
      'x-request-id': 'bad id with spaces',
    });
    expectError(invented, 404);
    expect(invented.body.error.requestId).not.toBe('bad id with spaces');

    const unauthenticated = await t.api.call(undefined, 'GET', '/v1/snapshots', undefined, {
      'x-request-id': 'my-request-0003',
    });
    expectError(unauthenticated, 401);
    expect(unauthenticated.body.error.requestId).toBe('my-request-0003');
  });

  it('answers unknown routes and methods with the error shape', async () => {
    expectError(await alice().get('/v1/nothing-here'), 404);
    expectError(await t.api.as(keys.alice).put('/v1/snapshots', registration()), 404);
  });
});
