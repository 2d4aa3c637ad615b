import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageVersions } from '@snapferry/contracts';
import { REPLICATION_EXCHANGE } from '@snapferry/messaging';
import { type BrokerProbe, waitFor } from '@snapferry/testing';
import { type apiClient, keys } from './catalog-harness';

type Api = ReturnType<typeof apiClient>;

/**
 * Alice copies `sourceId` to ap-shanghai (answered 202): the copy's ids, and a reader of its
 * replication's current state.
 */
export async function copyToShanghai(api: Api, sourceId: string) {
  const alice = api.as(keys.alice);
  const copy = await alice.post(`/v1/snapshots/${sourceId}/copies`, {
    destinationRegions: ['ap-shanghai'],
  });
  expect(copy.status).toBe(202);
  const { replicationId, snapshotId: targetId } = copy.body.results[0] as {
    replicationId: string;
    snapshotId: string;
  };
  const replication = async () => (await alice.get(`/v1/replications/${replicationId}`)).body;
  return { replicationId, targetId, replication };
}

/** Waits (up to 20 s) for the replication to be COPYING at more than `above` and less than `below` percent. */
export function copyingBetween(
  replication: () => Promise<any>,
  above: number,
  below: number,
  what: string,
) {
  return waitFor(
    async () => {
      const r = await replication();
      return r.state === 'COPYING' && r.percent > above && r.percent < below && r;
    },
    { timeoutMs: 20_000, what },
  );
}

/** Waits (up to 40 s) for alice's snapshot `targetId` to be NORMAL and returns it. */
export function targetNormal(api: Api, targetId: string) {
  return waitFor(
    async () => {
      const t = (await api.as(keys.alice).get(`/v1/snapshots/${targetId}`)).body;
      return t.state === 'NORMAL' && t;
    },
    { timeoutMs: 40_000, what: 'target NORMAL' },
  );
}

/** Shanghai holds exactly one copy of `sourceId`: `targetId`. */
export async function expectOnlyTarget(api: Api, sourceId: string, targetId: string) {
  const list = (await api.as(keys.alice).get('/v1/snapshots?region=ap-shanghai&limit=100')).body
    .snapshots;
  expect(
    list.filter((x: any) => x.sourceSnapshotId === sourceId).map((x: any) => x.snapshotId),
  ).toEqual([targetId]);
}

/**
 * A copy to ap-shanghai in a process stack was made once: one target and one manifest in
 * `dataDir`, one ReplicationCompleted event, and the target's data is `image` to the byte.
 */
export async function expectCopiedOnce(
  api: Api,
  dataDir: string,
  copy: { sourceId: string; targetId: string; replicationId: string; image: Buffer },
) {
  const { sourceId, targetId, replicationId, image } = copy;
  await expectOnlyTarget(api, sourceId, targetId);
  expect(await readdir(join(dataDir, 'ap-shanghai', 'manifests'))).toEqual([`${targetId}.json`]);

  const completed = (
    await api.as(keys.operator).get('/v1/events?type=ReplicationCompleted&limit=100')
  ).body.events;
  expect(completed.filter((e: any) => e.data.replicationId === replicationId)).toHaveLength(1);

  const data = await api.as(keys.alice).get(`/v1/snapshots/${targetId}/data`);
  expect(data.status).toBe(200);
  expect(Buffer.compare(data.body, image)).toBe(0);
}

/**
 * Publishes a replication's ReplicationRequested to ap-shanghai `times` times more, as the
 * relay re-publishing a batch after a failure or a lost channel redelivering would.
 */
export async function redeliverRequest(
  api: Api,
  probe: BrokerProbe,
  replicationId: string,
  times: number,
) {
  const [requested] = (
    await api
      .as(keys.operator)
      .get(`/v1/events?type=ReplicationRequested&streamId=replication-${replicationId}`)
  ).body.events;
  const envelope = {
    eventId: requested.eventId,
    type: 'ReplicationRequested',
    version: messageVersions.ReplicationRequested,
    occurredAt: requested.recordedAt,
    correlationId: requested.metadata.correlationId ?? requested.eventId,
    data: requested.data,
  };
  for (let i = 0; i < times; i++)
    probe.publishRaw(
      REPLICATION_EXCHANGE,
      'replication.requested.ap-shanghai',
      envelope,
      requested.eventId,
    );
}
