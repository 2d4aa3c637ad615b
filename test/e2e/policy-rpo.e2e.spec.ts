import { waitFor } from '@snapferry/testing';
import { startCatalog, type RunningCatalog } from '../../apps/catalog/src/start-catalog';
import {
  startReplicator,
  type RunningReplicator,
} from '../../apps/replicator/src/start-replicator';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';
import { allEvents } from '../support/e2e-helpers';

const regions = ['ap-shanghai', 'ap-singapore'];
const diskId = 'disk-rpo00001';

/**
 * A stopped replicator breaches the recovery-point objective, at the moment the newest copy's
 * age reaches it (from the timer, with no event arriving), and a restarted one restores it:
 * the events, the status and the gauge agree. Meanwhile retention keeps the newest NORMAL copy,
 * and of the snapshots that arrive during the outage only the newest waits (the newest wins).
 */
describe('recovery-point objective end to end (real services, a replicator stopped and restarted)', () => {
  let t: TestCatalog;
  let second: RunningCatalog | undefined;
  let replicator: RunningReplicator | undefined;
  const startRegions = async () =>
    (replicator = await startReplicator({
      ...t.env,
      REPLICATOR_REGIONS: regions.join(','),
      REPLICATOR_PORT: '0',
    }));
  beforeAll(async () => {
    t = await startTestCatalog({ SNAPFERRY_POLICY_RETENTION_INTERVAL_MS: '500' });
    // A second catalog: breaches must still be appended once.
    second = await startCatalog({ ...t.env, PORT: '0' });
    await startRegions();
    await t.api.as(keys.operator).put('/v1/accounts/alice/beta');
  });
  afterAll(async () => {
    await replicator?.stop();
    await second?.stop();
    await t?.stop();
  });

  const alice = () => t.api.as(keys.alice);
  const status = async (policyId: string) =>
    (await alice().get(`/v1/policies/${policyId}/status`)).body.recoveryPoints as any[];
  const gauge = async (policyId: string, region: string) => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(
          `snapferry_recovery_point_age_seconds{policy="${policyId}",disk="${diskId}",region="${region}"`,
        ),
      );
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  const rpoEvents = async (policyId: string) =>
    (await allEvents(t)).filter(
      (e) => e.type.startsWith('RecoveryPointObjective') && e.data.policyId === policyId,
    );
  const copiesIn = async (region: string) =>
    (await alice().get(`/v1/snapshots?region=${region}&diskId=${diskId}&limit=100`)).body
      .snapshots as any[];

  it('breaches within one objective of a stopped replicator, and is restored after its restart', async () => {
    const created = await alice().post('/v1/policies', {
      name: 'rpo',
      sourceRegion: 'ap-guangzhou',
      selector: { diskIds: [diskId] },
      destinations: regions.map((region) => ({ region, retain: { count: 1 } })),
      rpoMinutes: 1,
    });
    expect(created.status).toBe(201);
    const policyId = created.body.policyId;

    const first = await normalSnapshot(t.api, keys.alice, { diskId });
    const firstAt = (await alice().get(`/v1/snapshots/${first}`)).body.createdAt as string;
    await waitFor(
      async () => (await status(policyId)).every((p) => p.state === 'OK' && p.snapshotId),
      {
        what: 'both recovery points OK',
      },
    );
    expect(await status(policyId)).toHaveLength(2);

    await replicator!.stop();
    replicator = undefined;
    const stuck = await normalSnapshot(t.api, keys.alice, { diskId });

    // Nothing arrives any more: the timer alone must append the breach, once per region.
    const breaches = await waitFor(
      async () => {
        const events = (await rpoEvents(policyId)).filter(
          (e) => e.type === 'RecoveryPointObjectiveBreached',
        );
        return events.length === 2 && events;
      },
      { what: 'the breach in both regions', timeoutMs: 90_000, intervalMs: 200 },
    );
    for (const breach of breaches) {
      expect(breach.data).toMatchObject({ diskId, recoversTo: firstAt, rpoMinutes: 1 });
      const late = Date.parse(breach.data.breachedAt) - (Date.parse(firstAt) + 60_000);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(1_000);
    }
    for (const point of await status(policyId)) expect(point).toMatchObject({ state: 'BREACHED' });
    for (const region of regions) expect(await gauge(policyId, region)).toBeGreaterThanOrEqual(60);

    // Retention (count 1) never removes the newest NORMAL copy, however old, while newer ones are stuck.
    await new Promise((r) => setTimeout(r, 1_500)); // three passes
    for (const region of regions)
      expect(
        (await copiesIn(region)).filter((c) => c.state === 'NORMAL').map((c) => c.sourceSnapshotId),
      ).toEqual([first]);

    // Two more snapshots during the outage: the newer replaces the older in the wait.
    const superseded = await normalSnapshot(t.api, keys.alice, { diskId });
    const newest = await normalSnapshot(t.api, keys.alice, { diskId });

    await startRegions();
    await waitFor(
      async () => {
        const events = (await rpoEvents(policyId)).filter(
          (e) => e.type === 'RecoveryPointObjectiveRestored',
        );
        return events.length === 2;
      },
      { what: 'the restoration in both regions', timeoutMs: 60_000 },
    );
    await waitFor(async () => (await status(policyId)).every((p) => p.state === 'OK'), {
      what: 'status OK again',
    });
    for (const region of regions) expect(await gauge(policyId, region)).toBeLessThan(60);
    expect((await rpoEvents(policyId)).map((e) => e.type).sort()).toEqual([
      'RecoveryPointObjectiveBreached',
      'RecoveryPointObjectiveBreached',
      'RecoveryPointObjectiveRestored',
      'RecoveryPointObjectiveRestored',
    ]);
    const requested = (await allEvents(t)).filter((e) => e.type === 'ReplicationRequested');
    const sourcesCopied = (id: string) =>
      requested.filter((e) => e.data.sourceSnapshotId === id).length;
    expect([first, stuck, superseded, newest].map(sourcesCopied)).toEqual([2, 2, 0, 2]);
    // And retention settles on the newest copy in each region.
    for (const region of regions)
      await waitFor(
        async () => {
          const copies = (await copiesIn(region)).filter((c) => c.state === 'NORMAL');
          return copies.length === 1 && copies[0].sourceSnapshotId === newest;
        },
        { what: `retention in ${region}` },
      );
  });
});
