import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { startCatalog } from '../../apps/catalog/src/start-catalog';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { allEvents, eventCount } from '../support/e2e-helpers';
import { writeRegionsFile } from '../support/regions-file';

/** A policy body; `over` replaces fields. */
const policy = (over: Record<string, unknown> = {}) => ({
  name: 'orders-db DR',
  sourceRegion: 'ap-guangzhou',
  selector: { diskIds: ['disk-pol00001'] },
  destinations: [
    { region: 'ap-shanghai', retain: { count: 2 } },
    { region: 'ap-singapore', retain: { count: 2 } },
  ],
  rpoMinutes: 60,
  ...over,
});

describe('replication policies end to end (catalog + replicator, real PostgreSQL and RabbitMQ)', () => {
  let t: TestStack;
  let regionsDir: string;
  beforeAll(async () => {
    // ap-beijing takes no snapshot of anyone: a destination that refuses every copy (quota).
    regionsDir = await mkdtemp(join(tmpdir(), 'snapferry-policy-regions-'));
    const regionsFile = await writeRegionsFile(regionsDir, { 'ap-beijing': { snapshotQuota: 0 } });
    t = await startTestStack({
      catalogEnv: {
        SNAPFERRY_REGIONS_FILE: regionsFile,
        SNAPFERRY_POLICY_RETENTION_INTERVAL_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await rm(regionsDir, { recursive: true, force: true });
  });

  const alice = () => t.api.as(keys.alice);
  const normalTargets = async (diskId: string, region: string) =>
    (await alice().get(`/v1/snapshots?region=${region}&diskId=${diskId}&state=NORMAL&limit=100`))
      .body.snapshots as { snapshotId: string; sourceSnapshotId: string; tags: any[] }[];

  it('creates, lists, reads, changes and deletes an account’s own policies; another account sees none', async () => {
    const created = await alice().post(
      '/v1/policies',
      policy({ selector: { diskIds: ['disk-crud0001'] } }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      policyId: expect.stringMatching(/^pol-[a-z0-9]{8}$/),
      minIntervalMinutes: 0,
      enabled: true,
      failures: [],
    });
    const id = created.body.policyId;
    expect((await alice().get(`/v1/policies/${id}`)).body).toEqual(created.body);
    expect((await alice().get('/v1/policies')).body.policies.map((p: any) => p.policyId)).toContain(
      id,
    );
    expect((await t.api.as(keys.bob).get(`/v1/policies/${id}`)).status).toBe(404);
    expect((await t.api.as(keys.bob).get('/v1/policies')).body.policies).toEqual([]);

    const changed = await alice().patch(`/v1/policies/${id}`, { rpoMinutes: 90, enabled: false });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ rpoMinutes: 90, enabled: false, name: 'orders-db DR' });
    expect((await t.api.as(keys.bob).delete(`/v1/policies/${id}`)).status).toBe(404);
    expect((await alice().delete(`/v1/policies/${id}`)).status).toBe(204);
    expect((await alice().get(`/v1/policies/${id}`)).status).toBe(404);
    const types = (await allEvents(t))
      .filter((e) => e.streamId === `policy-${id}`)
      .map((e) => e.type);
    expect(types).toEqual(['PolicyCreated', 'PolicyChanged', 'PolicyDeleted']);
  });

  it('refuses an invalid policy with a reason per field, and records nothing', async () => {
    const before = await eventCount(t);
    const refused = await alice().post(
      '/v1/policies',
      policy({
        sourceRegion: 'ap-guangzhou',
        selector: {},
        destinations: [
          { region: 'eu-frankfurt', retain: { count: 1 } },
          { region: 'ap-atlantis', retain: { count: 0 } },
          { region: 'ap-shanghai', retain: {} },
          { region: 'ap-singapore', retain: { count: 1 } },
        ],
        rpoMinutes: -5,
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('InvalidParameterValue.Policy');
    expect(refused.body.error.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'selector' }),
        expect.objectContaining({
          field: 'destinations',
          code: 'LimitExceeded.PolicyDestinations',
        }),
        expect.objectContaining({
          field: 'destinations[0].region',
          code: 'UnsupportedOperation.GeoRestricted',
        }),
        expect.objectContaining({
          field: 'destinations[1].region',
          code: 'InvalidParameterValue.Region',
        }),
        expect.objectContaining({ field: 'destinations[1].retain.count' }),
        expect.objectContaining({ field: 'destinations[2].retain' }),
        expect.objectContaining({ field: 'rpoMinutes' }),
      ]),
    );
    for (const body of [[], 'x', { ...policy(), extra: 1 }, { ...policy(), rpoMinutes: '60' }])
      expect((await alice().post('/v1/policies', body)).status).toBe(400);
    expect((await alice().get('/v1/policies/pol-nothere1')).status).toBe(404);
    expect((await alice().get('/v1/policies/nonsense')).status).toBe(404);
    expect(await eventCount(t)).toBe(before);
  });

  it('copies each new snapshot of a selected disk to both regions, tagged, and prunes to its retention', async () => {
    const created = await alice().post('/v1/policies', policy());
    const policyId = created.body.policyId;
    const sources: string[] = [];
    for (let i = 0; i < 4; i++) {
      sources.push(
        await normalSnapshot(t.api, keys.alice, {
          diskId: 'disk-pol00001',
          bytes: randomBytes(70_000),
        }),
      );
      // Each copy lands before the next snapshot: one in flight at a time, so none is superseded.
      for (const region of ['ap-shanghai', 'ap-singapore'])
        await waitFor(
          async () =>
            (await normalTargets('disk-pol00001', region)).some(
              (s) => s.sourceSnapshotId === sources[i],
            ),
          { what: `the copy of ${sources[i]} in ${region}`, timeoutMs: 30_000 },
        );
    }
    for (const region of ['ap-shanghai', 'ap-singapore']) {
      // Retention: the two newest copies stay, the two oldest go.
      const kept = await waitFor(
        async () => {
          const copies = await normalTargets('disk-pol00001', region);
          return copies.length === 2 && copies;
        },
        { what: `retention in ${region}`, timeoutMs: 30_000 },
      );
      expect(kept.map((c) => c.sourceSnapshotId).sort()).toEqual(sources.slice(2).sort());
      expect(kept[0]!.tags).toEqual(
        expect.arrayContaining([
          { key: 'snapferry:policy', value: policyId },
          { key: 'snapferry:source-region', value: 'ap-guangzhou' },
        ]),
      );
    }
    const events = await allEvents(t);
    const requested = events.filter(
      (e) => e.type === 'ReplicationRequested' && sources.includes(e.data.sourceSnapshotId),
    );
    expect(requested).toHaveLength(8);
    expect(
      requested.every((e) => e.data.policyId === policyId && typeof e.data.deadline === 'string'),
    ).toBe(true);
    expect((await alice().get(`/v1/policies/${policyId}/preview`)).body).toEqual({
      copies: [],
      deletions: [],
    });
    const status = (await alice().get(`/v1/policies/${policyId}/status`)).body;
    expect(status.recoveryPoints).toHaveLength(2);
    for (const point of status.recoveryPoints)
      expect(point).toMatchObject({
        diskId: 'disk-pol00001',
        state: 'OK',
        ageSeconds: expect.any(Number),
      });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `snapferry_recovery_point_age_seconds\\{policy="${policyId}",disk="disk-pol00001",region="ap-shanghai",service="catalog"\\} \\d`,
      ),
    );
    await alice().delete(`/v1/policies/${policyId}`);
  });

  it('a refused destination is a recorded, visible failure with its code; the others copy', async () => {
    const created = await alice().post(
      '/v1/policies',
      policy({
        selector: { diskIds: ['disk-refu0001'] },
        destinations: [
          { region: 'ap-beijing', retain: { count: 1 } },
          { region: 'ap-shanghai', retain: { count: 1 } },
        ],
      }),
    );
    expect(created.status).toBe(201);
    const policyId = created.body.policyId;
    const id = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-refu0001' });
    const failures = await waitFor(
      async () => {
        const p = (await alice().get(`/v1/policies/${policyId}`)).body;
        return p.failures.length > 0 && p.failures;
      },
      { what: 'the refusal on the policy' },
    );
    expect(failures).toEqual([
      expect.objectContaining({
        snapshotId: id,
        destinationRegion: 'ap-beijing',
        code: 'LimitExceeded.SnapshotQuota',
      }),
    ]);
    const refusal = (await allEvents(t)).filter(
      (e) => e.type === 'PolicyCopyRefused' && e.data.policyId === policyId,
    );
    expect(refusal).toHaveLength(1);
    await waitFor(async () => (await normalTargets('disk-refu0001', 'ap-shanghai')).length === 1, {
      what: 'the copy to the destination that accepts',
    });
    await alice().delete(`/v1/policies/${policyId}`);
  });

  it('two catalogs running never start a policy copy twice', async () => {
    const second = await startCatalog({ ...t.env, PORT: '0' });
    try {
      const created = await alice().post(
        '/v1/policies',
        policy({ selector: { diskIds: ['disk-twin0001', 'disk-twin0002', 'disk-twin0003'] } }),
      );
      const policyId = created.body.policyId;
      const sources = await Promise.all(
        ['disk-twin0001', 'disk-twin0002', 'disk-twin0003'].flatMap((diskId) =>
          [0, 1].map(() => normalSnapshot(t.api, keys.alice, { diskId })),
        ),
      );
      await waitFor(
        async () => {
          const status = (await alice().get(`/v1/policies/${policyId}/status`)).body;
          return (
            status.recoveryPoints.length === 6 &&
            status.recoveryPoints.every((p: any) => p.state === 'OK')
          );
        },
        { what: 'a recovery point for every disk and destination', timeoutMs: 60_000 },
      );
      const requested = (await allEvents(t)).filter(
        (e) => e.type === 'ReplicationRequested' && sources.includes(e.data.sourceSnapshotId),
      );
      const pairs = requested.map((e) => `${e.data.sourceSnapshotId}>${e.data.targetRegion}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      expect(requested.length).toBeGreaterThanOrEqual(6);
      await alice().delete(`/v1/policies/${policyId}`);
    } finally {
      await second.stop();
    }
  });
});
