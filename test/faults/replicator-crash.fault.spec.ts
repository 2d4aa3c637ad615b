import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

// 2 MiB at 256 KiB/s: about 8 s per copy, long enough to kill the replicator twice mid-copy.
const image = randomBytes(2 * 1024 * 1024);

describe('replicator crash (SIGKILL mid-copy)', () => {
  let s: ProcessStack;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: 'ap-shanghai',
      REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
      // A killed replicator cannot release its claim: the restarted one resumes once it expires.
      REPLICATOR_CLAIM_LEASE_MS: '3000',
    });
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(() => s?.stop());

  it(
    'killed twice mid-copy, the copy still finishes once: one target, one Completed, byte-identical data',
    withProcessOutput(async () => {
      const alice = s.api.as(keys.alice);
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image });
      const copy = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      expect(copy.status).toBe(202);
      const { replicationId, snapshotId: targetId } = copy.body.results[0];
      const replication = async () => (await alice.get(`/v1/replications/${replicationId}`)).body;

      // Kill 1: once some bytes are copied but well before the end.
      await waitFor(
        async () => {
          const r = await replication();
          return r.state === 'COPYING' && r.percent > 5 && r.percent < 60 && r;
        },
        { timeoutMs: 20_000, what: 'first attempt mid-copy' },
      );
      expect((await s.replicator.kill('SIGKILL')).signal).toBe('SIGKILL');
      await s.replicator.start();

      // Kill 2: the second attempt started and made progress of its own.
      const before = (await replication()).percent as number;
      await waitFor(
        async () => {
          const r = await replication();
          return (
            r.attempts >= 2 && r.state === 'COPYING' && r.percent > before && r.percent < 95 && r
          );
        },
        { timeoutMs: 20_000, what: 'second attempt mid-copy' },
      );
      expect((await s.replicator.kill('SIGKILL')).signal).toBe('SIGKILL');
      await s.replicator.start();

      const target = await waitFor(
        async () => {
          const t = (await alice.get(`/v1/snapshots/${targetId}`)).body;
          return t.state === 'NORMAL' && t;
        },
        { timeoutMs: 40_000, what: 'target NORMAL' },
      );
      expect(target).toMatchObject({
        copyFromRemote: true,
        sourceSnapshotId: id,
        percent: 100,
        sizeBytes: image.length,
      });

      const done = await replication();
      expect(done).toMatchObject({ state: 'COMPLETED', bytesDone: image.length });
      expect(done.attempts).toBeGreaterThanOrEqual(3);
      // Resumed, not restarted: the chunks stored before the kills were not transferred again.
      expect(done.chunksSkipped).toBeGreaterThan(0);
      expect(done.bytesTransferred).toBeLessThan(image.length);

      const list = (await alice.get('/v1/snapshots?region=ap-shanghai&limit=100')).body.snapshots;
      expect(
        list.filter((x: any) => x.sourceSnapshotId === id).map((x: any) => x.snapshotId),
      ).toEqual([targetId]);
      expect(await readdir(join(s.dataDir, 'ap-shanghai', 'manifests'))).toEqual([
        `${targetId}.json`,
      ]);

      const completed = (
        await s.api.as(keys.operator).get('/v1/events?type=ReplicationCompleted&limit=100')
      ).body.events;
      expect(completed.filter((e: any) => e.data.replicationId === replicationId)).toHaveLength(1);

      const data = await alice.get(`/v1/snapshots/${targetId}/data`);
      expect(data.status).toBe(200);
      expect(Buffer.compare(data.body, image)).toBe(0);
      // Both starts after a kill took part: the job was picked up again each time.
      expect(s.replicator.linesWith('"msg":"copy started"').length).toBeGreaterThanOrEqual(3);
    }),
    90_000,
  );
});
