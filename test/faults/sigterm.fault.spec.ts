import { randomBytes } from 'node:crypto';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

describe('SIGTERM stops each service cleanly', () => {
  let s: ProcessStack;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: 'ap-shanghai',
      REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
    });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(() => s?.stop());

  it(
    'the replicator exits 0 mid-copy within seconds, and the copy resumes when it starts again',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const image = randomBytes(2 * 1024 * 1024);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image });
      const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      const { replicationId, snapshotId: targetId } = copy.body.results[0];
      await waitFor(
        async () => {
          const r = (await alice.get(`/v1/replications/${replicationId}`)).body;
          return r.state === 'COPYING' && r.percent > 5 && r.percent < 50;
        },
        { timeoutMs: 15_000, what: 'copy in flight' },
      );

      const started = Date.now();
      expect(await s.replicator.kill('SIGTERM', 5_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(
        s.replicator.linesWith('"msg":"stopping; copies in flight resume on the next start"'),
      ).toHaveLength(1);

      await s.replicator.start();
      await waitFor(
        async () => (await alice.get(`/v1/snapshots/${targetId}`)).body.state === 'NORMAL',
        {
          timeoutMs: 30_000,
          what: 'target NORMAL after the restart',
        },
      );
      const done = (await alice.get(`/v1/replications/${replicationId}`)).body;
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 2 });
      expect(done.chunksSkipped).toBeGreaterThan(0); // resumed: what the first run stored was not copied again
      expect(Buffer.compare((await alice.get(`/v1/snapshots/${targetId}/data`)).body, image)).toBe(
        0,
      );
    }),
    60_000,
  );

  it(
    'the catalog exits 0 within seconds and serves again after a restart',
    withProcessOutput(async () => {
      const started = Date.now();
      expect(await s.catalog.kill('SIGTERM', 5_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(s.catalog.linesWith('"signal":"SIGTERM"')).toHaveLength(1);
      await s.catalog.start();
      expect((await fetch(`${s.catalog.url}/health`)).status).toBe(200);
      const id = await normalSnapshot(s.api, keys.alice, { diskId: 'disk-dddd0002' });
      expect((await s.api.as(keys.alice).get(`/v1/snapshots/${id}`)).body.state).toBe('NORMAL');
    }),
    60_000,
  );
});
