import { randomBytes } from 'node:crypto';
import { BrokerProbe } from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import {
  copyingBetween,
  copyToShanghai,
  expectCopiedOnce,
  redeliverRequest,
  targetNormal,
} from '../support/copy-checks';
import {
  type ProcessStack,
  ServiceProcess,
  startProcessStack,
  withProcessOutput,
} from '../support/process-harness';

// 2 MiB at 256 KiB/s: about 8 s per copy, long enough to deliver duplicates and kill mid-copy.
const image = randomBytes(2 * 1024 * 1024);
const leaseMs = 3_000;

describe('two replicators of one region (SIGKILL the one copying)', () => {
  let s: ProcessStack;
  let other: ServiceProcess;
  let probe: BrokerProbe;
  beforeAll(async () => {
    s = await startProcessStack({
      REPLICATOR_REGIONS: 'ap-shanghai',
      REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024),
      REPLICATOR_CLAIM_LEASE_MS: String(leaseMs),
    });
    // A second process of the same region: same database schema, queue and data directory.
    other = await new ServiceProcess('replicator', s.env).start();
    probe = await BrokerProbe.open(s.broker.url);
    expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
  });
  afterAll(async () => {
    await probe?.close();
    if (other?.running) await other.kill('SIGKILL');
    await s?.stop();
  });

  it(
    'a duplicate delivery waits instead of copying; the killed copier is taken over after its lease and the copy finishes once, byte-identical',
    withProcessOutput(async () => {
      const id = await normalSnapshot(s.api, keys.alice, { bytes: image });
      const { replicationId, targetId, replication } = await copyToShanghai(s.api, id);
      await copyingBetween(replication, 5, 40, 'the copy running');
      const copyStarted = '"msg":"copy started"';
      const [copier, waiter] =
        s.replicator.linesWith(copyStarted).length > 0
          ? [s.replicator, other]
          : [other, s.replicator];
      expect(copier.linesWith(copyStarted)).toHaveLength(1);

      // The request arrives again while it is copied (the relay re-publishes a batch after a
      // failure; a lost channel redelivers): the queue hands some of it to the other process.
      await redeliverRequest(s.api, probe, replicationId, 4);
      await new Promise((resolve) => setTimeout(resolve, leaseMs)); // a lease's worth of time
      expect(waiter.linesWith(copyStarted)).toHaveLength(0);
      expect((await replication()).attempts).toBe(1);
      // (It did get the request: it waits for the copier's claim.)
      expect(
        waiter.linesWith('"msg":"the copy runs in another replicator; waiting"').length,
      ).toBeGreaterThan(0);

      // The copier dies without releasing its claim: the other takes over once it expires.
      const before = (await replication()).percent as number;
      expect((await copier.kill('SIGKILL')).signal).toBe('SIGKILL');
      const target = await targetNormal(s.api, targetId);
      expect(target).toMatchObject({ copyFromRemote: true, sourceSnapshotId: id, percent: 100 });
      expect(
        waiter.linesWith('"msg":"took over a copy whose replicator stopped renewing its claim"'),
      ).toHaveLength(1);
      expect(waiter.linesWith(copyStarted)).toHaveLength(1);

      const done = await replication();
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 2, bytesDone: image.length });
      expect(before).toBeGreaterThan(0);
      expect(done.chunksSkipped).toBeGreaterThan(0); // resumed from what the copier had stored
      expect(done.bytesTransferred).toBeLessThan(image.length);

      await expectCopiedOnce(s.api, s.dataDir, { sourceId: id, targetId, replicationId, image });
    }),
    90_000,
  );
});
