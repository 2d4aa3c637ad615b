import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';

/** A slow copy (bandwidth-limited) so that its progress, the source lock and a cancel can be watched. */
describe('a copy in flight: progress on both sides, the source lock, cancel by deleting the target', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({
      replicatorEnv: { REPLICATOR_MAX_BYTES_PER_SEC: String(512 * 1024) },
    });
  });
  afterAll(() => t?.stop());
  const alice = () => t.api.as(keys.alice);

  it('shows percent rising on the source and the target, locks the source, then completes', async () => {
    const id = await normalSnapshot(t.api, keys.alice, { bytes: randomBytes(2 * 1024 * 1024) });
    const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    const { snapshotId: target, replicationId } = copy.body.results[0];

    const midway = await waitFor(
      async () => {
        const [source, arriving] = await Promise.all([
          alice().get(`/v1/snapshots/${id}`),
          alice().get(`/v1/snapshots/${target}`),
        ]);
        const entry = source.body.copyingToRegions[0];
        return (
          entry?.percent > 0 &&
          entry.percent < 100 &&
          arriving.body.percent > 0 && { entry, arriving: arriving.body }
        );
      },
      { what: 'progress on both sides', timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(midway.entry).toMatchObject({
      region: 'ap-shanghai',
      snapshotId: target,
      state: 'COPYING_FROM_REMOTE',
    });
    expect(midway.arriving).toMatchObject({ state: 'COPYING_FROM_REMOTE', copyFromRemote: true });
    const job = await alice().get(`/v1/replications/${replicationId}`);
    expect(job.body).toMatchObject({ state: 'COPYING', attempts: 1 });
    expect(job.body.bytesTransferred).toBeGreaterThan(0);

    const refused = await alice().delete(`/v1/snapshots/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('UnsupportedOperation.SnapshotCopying');

    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      {
        what: 'target NORMAL',
        timeoutMs: 30_000,
      },
    );
    const log = await alice().get(`/v1/events?streamId=replication-${replicationId}&limit=1000`);
    const types: string[] = log.body.events.map((e: any) => e.type);
    expect(types.slice(0, 2)).toEqual(['ReplicationRequested', 'ReplicationStarted']);
    expect(types.filter((x) => x === 'ReplicationProgressed').length).toBeGreaterThan(1);
    expect(types.slice(-2)).toEqual(['ReplicationVerifying', 'ReplicationCompleted']);
    const percents = log.body.events
      .filter((e: any) => e.type === 'ReplicationProgressed')
      .map((e: any) => e.data.percent);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204); // the lock lifted
  });

  it('deleting the target while it is copying cancels the copy and lifts the source lock', async () => {
    const id = await normalSnapshot(t.api, keys.alice, { bytes: randomBytes(4 * 1024 * 1024) });
    const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-singapore'],
    });
    const { snapshotId: target, replicationId } = copy.body.results[0];
    await waitFor(async () => (await alice().get(`/v1/snapshots/${target}`)).body.percent > 0, {
      what: 'copy started',
      timeoutMs: 15_000,
    });

    expect((await alice().delete(`/v1/snapshots/${target}`)).status).toBe(204);
    expect((await alice().get(`/v1/snapshots/${target}`)).status).toBe(404);

    const job = await waitFor(
      async () => {
        const r = await alice().get(`/v1/replications/${replicationId}`);
        return r.body.state === 'CANCELLED' && r.body;
      },
      { what: 'replication CANCELLED', timeoutMs: 15_000 },
    );
    expect(job.endedAt).toEqual(expect.any(String));
    const source = await alice().get(`/v1/snapshots/${id}`);
    expect(source.body.copyingToRegions).toEqual([]);
    await expect(
      access(join(t.dataDir, 'ap-singapore', 'manifests', `${target}.json`)),
    ).rejects.toThrow();
    expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204);
  });
});
