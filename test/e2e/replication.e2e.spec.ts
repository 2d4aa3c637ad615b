import { randomBytes } from 'node:crypto';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';

describe('replication end to end (catalog + replicator, real PostgreSQL and RabbitMQ)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(() => t?.stop());

  it('copies to two regions; both sides show progress; the copies read back byte-identical', async () => {
    const alice = t.api.as(keys.alice);
    const image = randomBytes(3 * 64 * 1024 + 123);
    const id = await normalSnapshot(t.api, keys.alice, { bytes: image });
    const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai', 'ap-singapore'],
    });
    expect(copy.body.results.map((r: any) => r.code)).toEqual(['Success', 'Success']);
    for (const result of copy.body.results) {
      const target = await waitFor(
        async () => {
          const s = await alice.get(`/v1/snapshots/${result.snapshotId}`);
          return s.body.state === 'NORMAL' && s.body;
        },
        { what: `target ${result.snapshotId} NORMAL` },
      );
      expect(target).toMatchObject({
        copyFromRemote: true,
        sourceSnapshotId: id,
        sourceRegion: 'ap-guangzhou',
        percent: 100,
      });
      const data = await alice.get(`/v1/snapshots/${result.snapshotId}/data`);
      expect(Buffer.compare(data.body, image)).toBe(0);
    }
    const source = await waitFor(async () => {
      const s = await alice.get(`/v1/snapshots/${id}`);
      return s.body.copyingToRegions.length === 0 && s.body;
    });
    expect(source.state).toBe('NORMAL');
    const log = await alice.get(
      `/v1/events?streamId=replication-${copy.body.results[0].replicationId}`,
    );
    const types = log.body.events.map((e: any) => e.type);
    expect(types[0]).toBe('ReplicationRequested');
    expect(types[1]).toBe('ReplicationStarted');
    expect(types.at(-2)).toBe('ReplicationVerifying');
    expect(types.at(-1)).toBe('ReplicationCompleted');
    expect(types.filter((x: string) => x === 'ReplicationCompleted')).toHaveLength(1);
    expect((await alice.delete(`/v1/snapshots/${id}`)).status).toBe(204);
  });

  it("the replicator answers /health in the catalog's shape (same health module) and serves /metrics", async () => {
    for (const url of [t.url, t.replicator.url]) {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: 'ok',
        live: true,
        ready: true,
        checks: { database: 'up', broker: 'up' },
      });
      expect(await (await fetch(`${url}/health/live`)).json()).toEqual({ status: 'ok' });
    }
    const metrics = await fetch(`${t.replicator.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^# HELP /m);
  });
});
