import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { waitFor } from '@snapferry/testing';
import { startCatalog, type RunningCatalog } from '../../apps/catalog/src/start-catalog';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';
import { allEvents, eventCount, expectError } from '../support/e2e-helpers';

/**
 * Copy deadlines on the real services: refused when not in the future, shown by the status
 * views, and ReplicationDeadlineMissed appended once at the deadline of a copy still running
 * (with two catalogs on one database, and across a catalog restart), the copy completing as usual.
 */
describe('copy deadlines', () => {
  let t: TestStack;
  let second: RunningCatalog | undefined;
  beforeAll(async () => {
    // Slow copies (256 KiB/s): a 2 MiB image takes about 8 s, so a deadline can pass meanwhile.
    t = await startTestStack({
      replicatorEnv: { REPLICATOR_MAX_BYTES_PER_SEC: String(256 * 1024) },
    });
    // A second catalog on the same database and broker: its deadline timer runs too.
    second = await startCatalog({ ...t.env, PORT: '0' });
  });
  afterAll(async () => {
    await second?.stop();
    await t?.stop();
  });
  const alice = () => t.api.as(keys.alice);
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
  const streamEvents = async (replicationId: string) =>
    (await allEvents(t)).filter((e) => e.streamId === `replication-${replicationId}`);
  const deadlineRows = async () => {
    const client = new Client({ connectionString: t.env['DATABASE_URL'] });
    await client.connect();
    try {
      return (await client.query('SELECT replication_id FROM replication_deadlines')).rows.map(
        (r: { replication_id: string }) => r.replication_id,
      );
    } finally {
      await client.end();
    }
  };

  it('refuses a deadline that is not an ISO time in the future (400 InvalidParameterValue.Deadline) and writes nothing', async () => {
    const id = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-dead0001' });
    const before = await eventCount(t);
    for (const deadline of [
      new Date(Date.now() - 60_000).toISOString(),
      'tomorrow',
      '2030-01-01', // no time, no zone
      '2030-01-01T12:00:00', // no zone
      inSeconds(400 * 24 * 3600), // more than a year ahead
    ])
      expectError(
        await alice().post(`/v1/snapshots/${id}/copies`, {
          destinationRegions: ['ap-shanghai'],
          deadline,
        }),
        400,
        'InvalidParameterValue.Deadline',
      );
    expectError(
      await alice().post(`/v1/snapshots/${id}/copies`, {
        destinationRegions: ['ap-shanghai'],
        deadline: 5,
      }),
      400,
      'InvalidParameter',
    );
    expect(await eventCount(t)).toBe(before);
  });

  it('a copy still running at its deadline appends ReplicationDeadlineMissed once, at once, and completes as usual', async () => {
    const image = randomBytes(2 * 1024 * 1024);
    const id = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-dead0002', bytes: image });
    const deadline = inSeconds(2.5);
    const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
      deadline,
    });
    expect(answer.status).toBe(202);
    const { replicationId, snapshotId: target } = answer.body.results[0];
    const normalised = new Date(deadline).toISOString();
    // The status views show the deadline on both sides and on the copy job.
    expect((await alice().get(`/v1/snapshots/${id}`)).body.copyingToRegions).toEqual([
      expect.objectContaining({
        region: 'ap-shanghai',
        deadline: normalised,
        deadlineMissedAt: null,
      }),
    ]);
    expect((await alice().get(`/v1/snapshots/${target}`)).body).toMatchObject({
      deadline: normalised,
      deadlineMissedAt: null,
    });
    expect((await alice().get(`/v1/replications/${replicationId}`)).body).toMatchObject({
      deadline: normalised,
      deadlineMissedAt: null,
    });

    const missed = await waitFor(
      async () =>
        (await streamEvents(replicationId)).find((e) => e.type === 'ReplicationDeadlineMissed'),
      { timeoutMs: 30_000, what: 'ReplicationDeadlineMissed' },
    );
    const lateMs = Date.parse(missed.data.missedAt) - Date.parse(normalised);
    console.log(`deadline missed appended ${lateMs} ms after the deadline (two catalogs running)`);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(missed.data).toMatchObject({
      replicationId,
      deadline: normalised,
      targetRegion: 'ap-shanghai',
    });
    // Meanwhile the views say so, and the copy is still going.
    const view = await waitFor(async () => {
      const r = (await alice().get(`/v1/replications/${replicationId}`)).body;
      return r.deadlineMissedAt !== null && r;
    });
    expect(view.state).not.toBe('COMPLETED');

    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      {
        timeoutMs: 60_000,
        what: 'the late copy NORMAL',
      },
    );
    const types = (await streamEvents(replicationId)).map((e) => e.type);
    expect(types.filter((x) => x === 'ReplicationDeadlineMissed')).toHaveLength(1);
    expect(types.indexOf('ReplicationDeadlineMissed')).toBeLessThan(
      types.indexOf('ReplicationCompleted'),
    );
    expect((await alice().get(`/v1/snapshots/${target}`)).body).toMatchObject({
      deadline: normalised,
      deadlineMissedAt: missed.data.missedAt,
    });
    expect(Buffer.compare((await alice().get(`/v1/snapshots/${target}/data`)).body, image)).toBe(0);
    // Also on snapferry.events' source: the user's own event log shows it.
    const own = await alice().get(
      `/v1/events?type=ReplicationDeadlineMissed&streamId=replication-${replicationId}`,
    );
    expect(own.body.events).toHaveLength(1);
    expect(await deadlineRows()).not.toContain(replicationId);
  });

  it('a copy that ends before its deadline appends nothing, and its timer row goes with it', async () => {
    // 1 MiB at 256 KiB/s: the copy is still running when the row is looked for.
    const id = await normalSnapshot(t.api, keys.alice, {
      diskId: 'disk-dead0003',
      bytes: randomBytes(1024 * 1024),
    });
    const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-singapore'],
      deadline: inSeconds(3600),
    });
    const { replicationId, snapshotId: target } = answer.body.results[0];
    expect(await deadlineRows()).toContain(replicationId);
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor(async () => !(await deadlineRows()).includes(replicationId), {
      what: 'row dropped',
    });
    expect((await streamEvents(replicationId)).map((e) => e.type)).not.toContain(
      'ReplicationDeadlineMissed',
    );
  });

  it('a deadline that passes while every catalog is down is appended once, right after the restart', async () => {
    // 3 MiB at 256 KiB/s: about 12 s, still running when the catalogs come back.
    const id = await normalSnapshot(t.api, keys.alice, {
      diskId: 'disk-dead0004',
      bytes: randomBytes(3 * 1024 * 1024),
    });
    const deadline = inSeconds(2);
    const answer = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
      deadline,
    });
    const { replicationId, snapshotId: target } = answer.body.results[0];
    await second?.stop();
    second = undefined;
    let restartedAt = 0;
    await t.restart(async () => {
      await sleep(Math.max(0, Date.parse(deadline) - Date.now()) + 1500);
      restartedAt = Date.now();
    });
    second = await startCatalog({ ...t.env, PORT: '0' });
    const missed = await waitFor(
      async () =>
        (await streamEvents(replicationId)).find((e) => e.type === 'ReplicationDeadlineMissed'),
      { timeoutMs: 30_000, what: 'ReplicationDeadlineMissed after the restart' },
    );
    console.log(
      `after the restart, appended ${Date.parse(missed.data.missedAt) - restartedAt} ms after the catalog was started again`,
    );
    expect(Date.parse(missed.data.missedAt)).toBeGreaterThan(Date.parse(deadline));
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL',
      {
        timeoutMs: 90_000,
        what: 'the copy NORMAL after the restart',
      },
    );
    const types = (await streamEvents(replicationId)).map((e) => e.type);
    expect(types.filter((x) => x === 'ReplicationDeadlineMissed')).toHaveLength(1);
    expect(types.at(-1)).toBe('ReplicationCompleted');
  });
});
