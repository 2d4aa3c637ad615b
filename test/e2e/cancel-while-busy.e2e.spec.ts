import { randomBytes } from 'node:crypto';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';

const KiB = 1024;

/**
 * A region at its copy limit still hears a cancel at once: cancels have a queue (and a
 * prefetch) of their own, so they do not wait behind requests the replicator cannot start yet.
 */
describe('a cancel reaches a busy region', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({
      replicatorEnv: {
        REPLICATOR_REGIONS: 'ap-shanghai',
        REPLICATOR_MAX_CONCURRENT_COPIES: '1',
        REPLICATOR_MAX_BYTES_PER_SEC: String(64 * KiB), // 1 MiB takes ~16 s
      },
    });
  });
  afterAll(() => t?.stop());

  it('deleting the copy that runs cancels it within seconds, while another request waits behind it', async () => {
    const alice = t.api.as(keys.alice);
    const copyToShanghai = async (diskId: string) => {
      const id = await normalSnapshot(t.api, keys.alice, {
        bytes: randomBytes(1024 * KiB),
        diskId,
      });
      const answer = await alice.post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
      });
      return answer.body.results[0] as { replicationId: string; snapshotId: string };
    };
    const running = await copyToShanghai('disk-c0ca0001');
    await waitFor(
      async () =>
        (await alice.get(`/v1/replications/${running.replicationId}`)).body.state === 'COPYING',
      { what: 'the first copy to start' },
    );
    const waiting = await copyToShanghai('disk-c0ca0002'); // the limit is 1: this one waits
    const deletedAt = Date.now();
    expect((await alice.delete(`/v1/snapshots/${running.snapshotId}`)).status).toBe(204);
    await waitFor(
      async () =>
        (await alice.get(`/v1/replications/${running.replicationId}`)).body.state === 'CANCELLED',
      { timeoutMs: 10_000, what: 'the running copy to be cancelled' },
    );
    expect(Date.now() - deletedAt).toBeLessThan(10_000);
    // The waiting request then gets the slot.
    await waitFor(
      async () =>
        (await alice.get(`/v1/replications/${waiting.replicationId}`)).body.state !== 'QUEUED',
      { timeoutMs: 20_000, what: 'the waiting copy to start' },
    );
  }, 60_000);
});
