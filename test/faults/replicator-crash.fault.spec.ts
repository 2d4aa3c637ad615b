import { randomBytes } from 'node:crypto';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  copyingBetween,
  copyToShanghai,
  expectCopiedOnce,
  targetNormal,
} from '../support/copy-checks';
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
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image });
      const { replicationId, targetId, replication } = await copyToShanghai(s.api, id);

      // Kill 1: once some bytes are copied but well before the end.
      await copyingBetween(replication, 5, 60, 'first attempt mid-copy');
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

      const target = await targetNormal(s.api, targetId);
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

      await expectCopiedOnce(s.api, s.dataDir, { sourceId: id, targetId, replicationId, image });
      // Both starts after a kill took part: the job was picked up again each time.
      expect(s.replicator.linesWith('"msg":"copy started"').length).toBeGreaterThanOrEqual(3);
    }),
    90_000,
  );
});
