import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { allEvents, eventCount, expectError, registration } from '../support/e2e-helpers';

/**
 * POST /v1/snapshots/{id}/copies and GET /v1/replications. No replicator runs here, so
 * every accepted copy stays COPYING_FROM_REMOTE at 0 %.
 */
describe('copies API', () => {
  let t: TestCatalog;
  beforeAll(async () => {
    t = await startTestCatalog();
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);
  const ops = () => t.api.as(keys.operator);
  const copy = (id: string, body: unknown, key = keys.alice) =>
    t.api.as(key).post(`/v1/snapshots/${id}/copies`, body);
  const source = (over: Parameters<typeof normalSnapshot>[2] = {}) =>
    normalSnapshot(t.api, keys.alice, over);

  describe('beta eligibility', () => {
    it('refuses an account not in beta with 403 NotInBeta and writes nothing', async () => {
      const id = await source();
      const before = await eventCount(t);
      expectError(
        await copy(id, { destinationRegions: ['ap-shanghai'] }),
        403,
        'UnauthorizedOperation.NotInBeta',
      );
      expectError(
        await copy(id, { destinationRegions: ['ap-shanghai'], clientToken: 'not-in-beta-1' }),
        403,
        'UnauthorizedOperation.NotInBeta',
      );
      expect(await eventCount(t)).toBe(before);
      expect((await alice().get('/v1/snapshots?region=ap-shanghai')).body.total).toBe(0);
    });

    it('lets an operator enable and disable it', async () => {
      const id = await source();
      const enabled = await ops().put('/v1/accounts/alice/beta');
      expect(enabled.status).toBe(200);
      expect(enabled.body).toEqual({ accountId: 'alice', betaEnabled: true });
      const disabled = await ops().delete('/v1/accounts/alice/beta');
      expect(disabled.status).toBe(200);
      expect(disabled.body).toEqual({ accountId: 'alice', betaEnabled: false });
      expectError(
        await copy(id, { destinationRegions: ['ap-shanghai'] }),
        403,
        'UnauthorizedOperation.NotInBeta',
      );
      expect((await ops().put('/v1/accounts/alice/beta')).status).toBe(200);
      expect((await ops().put('/v1/accounts/alice/beta')).status).toBe(200); // again: still enabled
      expect((await copy(id, { destinationRegions: ['ap-shanghai'] })).status).toBe(202);
      const betaEvents = (await allEvents(t)).filter(
        (e) => e.streamId.includes('alice') && /Beta/.test(e.type),
      );
      expect(betaEvents.length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('with beta enabled', () => {
    beforeAll(async () => {
      expect((await ops().put('/v1/accounts/alice/beta')).status).toBe(200);
    });

    it('judges each destination on its own and answers 202 with one result per destination', async () => {
      const bytes = Buffer.from('partial success source image');
      const id = await source({ bytes });
      const answer = await copy(id, {
        destinationRegions: [
          'xx-nowhere',
          'ap-guangzhou',
          'ap-shenzhen-fsi',
          'na-siliconvalley',
          'ap-shanghai',
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body.results.map((r: any) => [r.destinationRegion, r.code])).toEqual([
        ['xx-nowhere', 'InvalidParameterValue.Region'],
        ['ap-guangzhou', 'InvalidParameterValue.Region'],
        ['ap-shenzhen-fsi', 'UnsupportedOperation.FinanceZoneRestricted'],
        ['na-siliconvalley', 'UnsupportedOperation.GeoRestricted'],
        ['ap-shanghai', 'Success'],
      ]);
      for (const r of answer.body.results) expect(r.message).toEqual(expect.any(String));
      for (const r of answer.body.results.slice(0, 4)) expect(r.snapshotId).toBeUndefined();
      const success = answer.body.results[4];
      expect(success.snapshotId).toMatch(/^snap-[a-z0-9]{8}$/);

      // The target shows at once in the target region's list...
      const targets = await alice().get('/v1/snapshots?region=ap-shanghai');
      const target = targets.body.snapshots.find((s: any) => s.snapshotId === success.snapshotId);
      expect(target).toEqual(
        expect.objectContaining({
          region: 'ap-shanghai',
          state: 'COPYING_FROM_REMOTE',
          percent: 0,
          copyFromRemote: true,
          sourceSnapshotId: id,
          sourceRegion: 'ap-guangzhou',
          name: `Copied ${id} from ap-guangzhou`,
        }),
      );
      // ... and the source lists the region it is copying to.
      const src = await alice().get(`/v1/snapshots/${id}`);
      expect(src.body.state).toBe('NORMAL');
      expect(src.body.copyingToRegions).toEqual([
        expect.objectContaining({
          region: 'ap-shanghai',
          snapshotId: success.snapshotId,
          state: 'COPYING_FROM_REMOTE',
          percent: 0,
        }),
      ]);

      // The copy job.
      const job = await alice().get(`/v1/replications/${success.replicationId}`);
      expect(job.status).toBe(200);
      expect(job.body).toEqual(
        expect.objectContaining({
          replicationId: success.replicationId,
          sourceSnapshotId: id,
          sourceRegion: 'ap-guangzhou',
          targetSnapshotId: success.snapshotId,
          targetRegion: 'ap-shanghai',
          state: 'REQUESTED',
          bytesTotal: bytes.length,
          chunksCopied: 0,
          attempts: 0,
        }),
      );
      expect(job.body.accountId).toBeUndefined();
      const list = await alice().get(`/v1/replications?sourceSnapshotId=${id}`);
      expect(list.status).toBe(200);
      expect(list.body.replications.map((r: any) => r.replicationId)).toEqual([
        success.replicationId,
      ]);
      expectError(
        await t.api.as(keys.bob).get(`/v1/replications/${success.replicationId}`),
        404,
        'ResourceNotFound.Replication',
      );
      expect(
        (await t.api.as(keys.bob).get(`/v1/replications?sourceSnapshotId=${id}`)).body.replications,
      ).toEqual([]);
      expectError(await alice().get('/v1/replications/repl-zzzzzzzz'), 404);
      expectError(await alice().get('/v1/replications/nope'), 404);
      expectError(await alice().get('/v1/replications?sourceSnapshotId=nope'), 400);
    });

    it('refuses a second copy to a region where one is in flight, per destination', async () => {
      const id = await source();
      expect((await copy(id, { destinationRegions: ['ap-shanghai'] })).body.results[0].code).toBe(
        'Success',
      );
      const again = await copy(id, { destinationRegions: ['ap-shanghai', 'ap-beijing'] });
      expect(again.status).toBe(202);
      expect(again.body.results.map((r: any) => r.code)).toEqual([
        'UnsupportedOperation.SnapshotCopying',
        'Success',
      ]);
      expect(
        (await alice().get(`/v1/snapshots/${id}`)).body.copyingToRegions
          .map((c: any) => c.region)
          .sort(),
      ).toEqual(['ap-beijing', 'ap-shanghai']);
    });

    it('locks a copying source against deletion; deleting a copying target cancels its copy', async () => {
      const id = await source();
      const result = (await copy(id, { destinationRegions: ['ap-nanjing'] })).body.results[0];
      expectError(
        await alice().delete(`/v1/snapshots/${id}`),
        409,
        'UnsupportedOperation.SnapshotCopying',
      );
      expect((await alice().get(`/v1/snapshots/${id}`)).status).toBe(200);

      expect((await alice().delete(`/v1/snapshots/${result.snapshotId}`)).status).toBe(204);
      expectError(await alice().get(`/v1/snapshots/${result.snapshotId}`), 404);
      expect((await alice().get('/v1/snapshots?region=ap-nanjing')).body.total).toBe(0);
      const cancels = await waitFor(async () => {
        const page = await alice().get(
          `/v1/events?type=ReplicationCancelRequested&streamId=replication-${result.replicationId}`,
        );
        return page.body.events.length > 0 && page.body.events;
      });
      expect(cancels).toEqual([
        expect.objectContaining({
          type: 'ReplicationCancelRequested',
          data: expect.objectContaining({
            replicationId: result.replicationId,
            targetSnapshotId: result.snapshotId,
            targetRegion: 'ap-nanjing',
          }),
        }),
      ]);
      expect((await alice().get(`/v1/replications/${result.replicationId}`)).body.state).not.toBe(
        'REQUESTED',
      );
    });

    it('refuses system-disk snapshots (400) and sources that are not NORMAL (409), writing nothing', async () => {
      const system = await source({ diskUsage: 'SYSTEM_DISK' });
      const creating = (await alice().post('/v1/snapshots', registration())).body.snapshotId;
      const before = await eventCount(t);
      expectError(
        await copy(system, { destinationRegions: ['ap-shanghai'] }),
        400,
        'UnsupportedOperation.SystemDiskSnapshot',
      );
      expectError(
        await copy(creating, { destinationRegions: ['ap-shanghai'] }),
        409,
        'UnsupportedOperation.SnapshotNotNormal',
      );
      expectError(
        await copy('snap-zzzzzzzz', { destinationRegions: ['ap-shanghai'] }),
        404,
        'ResourceNotFound.Snapshot',
      );
      expect(await eventCount(t)).toBe(before);
    });

    it('names the copy as asked, up to 60 characters, and refuses bad requests as a whole', async () => {
      const id = await source();
      const named = await copy(id, {
        destinationRegions: ['ap-chengdu'],
        snapshotName: 'n'.repeat(60),
      });
      expect(named.status).toBe(202);
      expect(
        (await alice().get(`/v1/snapshots/${named.body.results[0].snapshotId}`)).body.name,
      ).toBe('n'.repeat(60));

      const before = await eventCount(t);
      expectError(
        await copy(id, { destinationRegions: ['ap-chongqing'], snapshotName: 'n'.repeat(61) }),
        400,
      );
      expectError(await copy(id, { destinationRegions: [] }), 400);
      expectError(await copy(id, { destinationRegions: ['ap-chongqing', 'ap-chongqing'] }), 400);
      expectError(await copy(id, {}), 400);
      expectError(await copy(id, { destinationRegions: 'ap-chongqing' }), 400);
      expectError(await copy(id, undefined), 400);
      expect(await eventCount(t)).toBe(before);
    });

    it('returns the first answer again for a repeated clientToken and starts one copy', async () => {
      const id = await source();
      const body = {
        destinationRegions: ['ap-hongkong', 'ap-singapore'],
        clientToken: 'token-sequential-1',
      };
      const first = await copy(id, body);
      expect(first.status).toBe(202);
      const afterFirst = await eventCount(t);
      const second = await copy(id, body);
      expect(second.status).toBe(202);
      expect(second.body).toEqual(first.body);
      expect(await eventCount(t)).toBe(afterFirst);
      expect(
        (await alice().get(`/v1/replications?sourceSnapshotId=${id}`)).body.replications,
      ).toHaveLength(2);
      // The same token for a different request is refused; another account may use the same token.
      expectError(
        await copy(id, { ...body, destinationRegions: ['ap-hongkong'] }),
        409,
        'UnsupportedOperation.ClientTokenReused',
      );
      expect(await eventCount(t)).toBe(afterFirst);
      expect((await ops().put('/v1/accounts/bob/beta')).status).toBe(200);
      const bobs = await normalSnapshot(t.api, keys.bob);
      const bobAnswer = await copy(
        bobs,
        { ...body, destinationRegions: ['ap-hongkong'] },
        keys.bob,
      );
      expect(bobAnswer.status).toBe(202);
      expect(bobAnswer.body.results[0]).toEqual(
        expect.objectContaining({ code: 'Success', destinationRegion: 'ap-hongkong' }),
      );
      expect(bobAnswer.body.results[0].snapshotId).not.toBe(first.body.results[0].snapshotId);
    });

    it('five identical requests at once with one clientToken start exactly one copy and all get the same answer', async () => {
      const id = await source();
      const body = { destinationRegions: ['ap-tokyo'], clientToken: 'token-parallel-1' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => copy(id, body)));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
      for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
      expect(answers[0]!.body.results[0].code).toBe('Success');
      expect(
        (await alice().get(`/v1/replications?sourceSnapshotId=${id}`)).body.replications,
      ).toHaveLength(1);
      expect((await alice().get(`/v1/snapshots/${id}`)).body.copyingToRegions).toHaveLength(1);
      const requested = (await allEvents(t)).filter(
        (e) => e.type === 'ReplicationRequested' && e.data.sourceSnapshotId === id,
      );
      expect(requested).toHaveLength(1);
    });

    it('five different requests at once for the same source and region start exactly one copy', async () => {
      const id = await source();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => copy(id, { destinationRegions: ['ap-seoul'] })),
      );
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
      const codes = answers.map((a) => a.body.results[0].code).sort();
      expect(codes).toEqual(['Success', ...Array(4).fill('UnsupportedOperation.SnapshotCopying')]);
      expect(
        (await alice().get(`/v1/replications?sourceSnapshotId=${id}`)).body.replications,
      ).toHaveLength(1);
    });
  });

  describe('quota', () => {
    let q: TestCatalog;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'snapferry-regions-'));
      const file = join(dir, 'regions.json');
      const region = (id: string, snapshotQuota: number) => ({
        id,
        name: id,
        geography: 'mainland-china',
        finance: false,
        snapshotQuota,
      });
      await writeFile(
        file,
        JSON.stringify({
          regions: [region('ap-guangzhou', 50), region('ap-shanghai', 1), region('ap-beijing', 2)],
        }),
      );
      q = await startTestCatalog({ SNAPFERRY_REGIONS_FILE: file });
      expect((await q.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    });
    afterAll(async () => {
      await q?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('uses the configured catalog and refuses copies past the destination quota', async () => {
      const regions = await q.api.as(keys.alice).get('/v1/regions');
      expect(regions.body.regions.map((r: any) => r.id)).toEqual([
        'ap-guangzhou',
        'ap-shanghai',
        'ap-beijing',
      ]);
      const a = await normalSnapshot(q.api, keys.alice);
      const b = await normalSnapshot(q.api, keys.alice);
      const first = await q.api
        .as(keys.alice)
        .post(`/v1/snapshots/${a}/copies`, { destinationRegions: ['ap-shanghai'] });
      expect(first.body.results[0].code).toBe('Success');
      const second = await q.api
        .as(keys.alice)
        .post(`/v1/snapshots/${b}/copies`, { destinationRegions: ['ap-shanghai', 'ap-beijing'] });
      expect(second.status).toBe(202);
      expect(second.body.results.map((r: any) => r.code)).toEqual([
        'LimitExceeded.SnapshotQuota',
        'Success',
      ]);
      expect(
        (await q.api.as(keys.alice).get('/v1/regions')).body.regions.find(
          (r: any) => r.id === 'ap-shanghai',
        ).snapshotsUsed,
      ).toBe(1);
      // Bob's quota is his own.
      expect((await q.api.as(keys.operator).put('/v1/accounts/bob/beta')).status).toBe(200);
      const bobs = await normalSnapshot(q.api, keys.bob);
      expect(
        (
          await q.api
            .as(keys.bob)
            .post(`/v1/snapshots/${bobs}/copies`, { destinationRegions: ['ap-shanghai'] })
        ).body.results[0].code,
      ).toBe('Success');
      // Deleting the copy frees its place.
      const target = first.body.results[0].snapshotId;
      expect((await q.api.as(keys.alice).delete(`/v1/snapshots/${target}`)).status).toBe(204);
      const third = await q.api
        .as(keys.alice)
        .post(`/v1/snapshots/${b}/copies`, { destinationRegions: ['ap-shanghai'] });
      expect(third.body.results[0].code).toBe('Success');
    });

    it('holds the quota under concurrent requests from different sources', async () => {
      const sources = await Promise.all(
        [1, 2, 3, 4, 5].map((i) =>
          normalSnapshot(q.api, keys.alice, { diskId: `disk-quota00${i}` }),
        ),
      );
      // ap-beijing has a quota of 2 and holds one copy already.
      const answers = await Promise.all(
        sources.map((id) =>
          q.api
            .as(keys.alice)
            .post(`/v1/snapshots/${id}/copies`, { destinationRegions: ['ap-beijing'] }),
        ),
      );
      const codes = answers.map((a) => a.body.results[0].code).sort();
      expect(codes).toEqual([
        'LimitExceeded.SnapshotQuota',
        'LimitExceeded.SnapshotQuota',
        'LimitExceeded.SnapshotQuota',
        'LimitExceeded.SnapshotQuota',
        'Success',
      ]);
      expect((await q.api.as(keys.alice).get('/v1/snapshots?region=ap-beijing')).body.total).toBe(
        2,
      );
    });
  });
});
