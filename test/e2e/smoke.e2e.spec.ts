import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';

describe('catalog smoke', () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(() => t?.stop());

  it('registers, uploads, copies and shows both sides', async () => {
    const ops = t.api.as(keys.operator);
    expect((await ops.put('/v1/accounts/alice/beta')).status).toBe(200);
    const alice = t.api.as(keys.alice);
    const id = await normalSnapshot(t.api, keys.alice);
    const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai', 'na-siliconvalley'],
    });
    expect(copy.status).toBe(202);
    expect(copy.body.results.map((r: any) => r.code)).toEqual([
      'Success',
      'UnsupportedOperation.GeoRestricted',
    ]);
    const source = await alice.get(`/v1/snapshots/${id}`);
    expect(source.body.copyingToRegions).toEqual([
      expect.objectContaining({ region: 'ap-shanghai', state: 'COPYING_FROM_REMOTE', percent: 0 }),
    ]);
    const target = await alice.get(`/v1/snapshots?region=ap-shanghai`);
    expect(target.body.snapshots[0]).toEqual(
      expect.objectContaining({
        state: 'COPYING_FROM_REMOTE',
        copyFromRemote: true,
        sourceSnapshotId: id,
      }),
    );
    const data = await alice.get(`/v1/snapshots/${id}/data`);
    expect(data.body.toString()).toBe('snapferry test image');
    expect((await alice.delete(`/v1/snapshots/${id}`)).body.error.code).toBe(
      'UnsupportedOperation.SnapshotCopying',
    );
  });
});
