import { randomBytes } from 'node:crypto';
import {
  createNetworkLab,
  type NetworkLab,
  networkLabAvailable,
  waitFor,
} from '@snapferry/testing';
import { keys, normalSnapshot } from '../support/catalog-harness';
import { withProcessOutput } from '../support/process-harness';
import { startRegionsApart, type RegionsApart } from '../support/regions-apart';

const MiB = 1024 * 1024;
const availability = networkLabAvailable();
if (!availability.ok)
  process.stdout.write(`SKIPPED regions in network namespaces: ${availability.reason}\n`);

// Each region's replicator in its own network namespace: the only path between regions (and
// from the catalog to a region's store) is the lab's links, rate-limited with tbf and cut.
(availability.ok ? describe : describe.skip)(
  'regions as separate hosts (network namespaces)',
  () => {
    let lab: NetworkLab;
    let s: RegionsApart;
    beforeAll(async () => {
      lab = await createNetworkLab({ hosts: ['ap-guangzhou', 'ap-shanghai'] });
      s = await startRegionsApart({ regions: ['ap-guangzhou', 'ap-shanghai'], lab });
      expect((await s.api.as(keys.operator).put('/v1/accounts/alice/beta')).status).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await s?.stop();
      await lab?.destroy();
    }, 60_000);

    it(
      'copies over a rate-limited link, survives the link cut for several seconds, and reads back identical',
      withProcessOutput(async () => {
        const alice = s.api.as(keys.alice);
        const image = randomBytes(12 * MiB);
        const id = await normalSnapshot(s.api, keys.alice, {
          bytes: image,
          diskId: 'disk-ae750001',
        });
        // The source region's link: 2 MiB/s each way, so the copy takes about six seconds.
        await lab.host('ap-guangzhou').limitRate(2 * MiB);
        const answer = await alice.post(`/v1/snapshots/${id}/copies`, {
          destinationRegions: ['ap-shanghai'],
        });
        const { replicationId, snapshotId } = answer.body.results[0];
        const replication = async () => (await alice.get(`/v1/replications/${replicationId}`)).body;
        await waitFor(
          async () => {
            const r = await replication();
            return r.state === 'COPYING' && r.percent >= 10;
          },
          { timeoutMs: 30_000, what: 'the copy under way' },
        );

        await lab.host('ap-guangzhou').cut();
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const during = await replication();
        expect(during.state).toBe('COPYING');
        expect(during.percent).toBeLessThan(100);
        await lab.host('ap-guangzhou').restore();

        const done = await waitFor(
          async () => {
            const r = await replication();
            return r.state === 'COMPLETED' && r;
          },
          { timeoutMs: 90_000, what: 'the copy to complete after the link came back' },
        );
        expect(done.bytesCopied).toBe(image.length);
        await lab.host('ap-guangzhou').clearRate();
        const back = await alice.get(`/v1/snapshots/${snapshotId}/data`);
        expect(Buffer.compare(back.body, image)).toBe(0);
      }),
      180_000,
    );
  },
);
