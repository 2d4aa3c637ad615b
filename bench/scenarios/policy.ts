import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Api, tenantAccount, tenantKey } from '../lib/api';
import type { Row } from '../lib/report';
import { percentile } from '../lib/stats';
import { destinationRegions, diskId, pool, sleep, sourceRegion, startStack } from '../lib/stack';

const tag = { key: 'dr', value: 'gold' };
const destination = destinationRegions[0]!;

/** Registers `count` snapshots on `count` new disks (tagged when asked) and makes each NORMAL. */
async function normalSnapshots(
  api: Api,
  count: number,
  tags: (typeof tag)[] = [],
  concurrency = 8,
  then?: (snapshotId: string) => Promise<void>,
) {
  const ids = new Array<string>(count);
  await pool(count, concurrency, async (i) => {
    const created = await api.json<{ snapshotId: string }>('POST', '/v1/snapshots', {
      region: sourceRegion,
      diskId: diskId(),
      diskUsage: 'DATA_DISK',
      diskSizeGiB: 1,
      tags,
    });
    await api.upload(created.snapshotId, randomBytes(4096));
    ids[i] = created.snapshotId;
    await then?.(created.snapshotId);
  });
  return ids;
}

const policyBody = (rpoMinutes: number) => ({
  name: 'bench DR',
  sourceRegion,
  selector: { tags: [tag] },
  destinations: [{ region: destination, retain: { count: 3 } }],
  rpoMinutes,
});

/** Waits until `sql` (a count) reaches `count`; returns the database's clock then. */
async function waitForCount(db: Client, sql: string, params: unknown[], count: number) {
  for (;;) {
    const { rows } = await db.query<{ n: string }>(sql, params);
    if (Number(rows[0]!.n) >= count) return;
    await sleep(20);
  }
}

/**
 * 8a. Policy evaluation: `disks` disks under one policy, one new snapshot each, made NORMAL by
 * 10 clients at once; the figure is the time from the first upload started to the last policy
 * copy requested (the last `ReplicationRequested` recorded), so it includes how far the policy
 * engine trails the snapshots. Baseline: the same with 10 clients that also request each copy by
 * hand (`POST /v1/snapshots/{id}/copies` right after the upload), to the last one recorded.
 * No replicator runs: only the catalog's side is measured. (Nothing here holds a transaction
 * open: an open xid on the server stalls every reader of the log, in every database.)
 */
async function evaluationRows(disks: number): Promise<Row[]> {
  const stack = await startStack({ replicators: 0 });
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const clock = async () =>
    (await db.query<{ at: Date }>(`SELECT clock_timestamp() AS at`)).rows[0]!.at.getTime();
  const lastRequested = async (where: string, param: string) =>
    (
      await db.query<{ at: Date }>(
        `SELECT max(recorded_at) AS at FROM events WHERE type = 'ReplicationRequested' AND ${where}`,
        [param],
      )
    ).rows[0]!.at.getTime();
  try {
    const api = stack.apis[0]!;
    const policyOwner = new Api(api.baseUrl, tenantKey(0));
    const byHand = new Api(api.baseUrl, tenantKey(1));
    const { policyId } = await policyOwner.json<{ policyId: string }>(
      'POST',
      '/v1/policies',
      policyBody(24 * 60),
    );
    const policyStarted = await clock();
    await normalSnapshots(policyOwner, disks, [tag], 10);
    const lastNormal = await clock();
    await waitForCount(
      db,
      `SELECT count(*) AS n FROM events WHERE type = 'ReplicationRequested' AND data->>'policyId' = $1`,
      [policyId],
      disks,
    );
    const policyLast = await lastRequested(`data->>'policyId' = $1`, policyId);
    const policySeconds = (policyLast - policyStarted) / 1000;

    const handStarted = await clock();
    await normalSnapshots(byHand, disks, [], 10, async (id) => {
      const answer = await byHand.copy(id, [destination]);
      if (answer.results[0]?.code !== 'Success')
        throw new Error(`copy by hand refused: ${JSON.stringify(answer.results[0])}`);
    });
    const handLast = await lastRequested(`metadata->>'accountId' = $1`, tenantAccount(1));
    const handSeconds = (handLast - handStarted) / 1000;
    process.stderr.write(
      `bench: policy: ${disks} snapshots NORMAL and their copies requested by the policy in ${policySeconds.toFixed(2)} s (last copy ${Math.max(0, (policyLast - lastNormal) / 1000).toFixed(2)} s after the last NORMAL), by hand in ${handSeconds.toFixed(2)} s\n`,
    );
    return [
      {
        scenario: `8 policies (${disks} disks, one policy)`,
        figure: `${disks} snapshots NORMAL → last policy copy requested`,
        value: policySeconds,
        unit: 's',
        baseline: `the same, each copy requested by hand (API, 10 clients)`,
        baselineValue: handSeconds,
        better: 'lower',
      },
    ];
  } finally {
    await db.end().catch(() => undefined);
    await stack.resources.cleanup();
  }
}

/**
 * 8b. RPO timer accuracy: `disks` disks under a policy with a one-minute objective, each with
 * one snapshot copied; nothing newer comes, so each recovery point breaches one minute after
 * the time it recovers to. The figure is the p99 of how late `RecoveryPointObjectiveBreached`
 * was recorded after that moment; the baseline is the 1 s the issue allows.
 */
async function rpoTimerRows(disks: number): Promise<Row[]> {
  const stack = await startStack({ replicators: 1 });
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const owner = new Api(stack.apis[0]!.baseUrl, tenantKey(0));
    const { policyId } = await owner.json<{ policyId: string }>(
      'POST',
      '/v1/policies',
      policyBody(1),
    );
    await normalSnapshots(owner, disks, [tag]);
    const breached = `FROM events WHERE type = 'RecoveryPointObjectiveBreached' AND data->>'policyId' = $1`;
    await waitForCount(db, `SELECT count(*) AS n ${breached}`, [policyId], disks);
    const { rows } = await db.query<{ late: number }>(
      `SELECT extract(epoch FROM recorded_at - ((data->>'recoversTo')::timestamptz
                + (data->>'rpoMinutes')::int * interval '1 minute'))::float8 * 1000 AS late ${breached}`,
      [policyId],
    );
    const late = rows.map((r) => r.late);
    process.stderr.write(
      `bench: policy: ${late.length} breaches recorded, late p50 ${percentile(late, 50).toFixed(0)} ms, p99 ${percentile(late, 99).toFixed(0)} ms, max ${Math.max(...late).toFixed(0)} ms\n`,
    );
    return [
      {
        scenario: `8 policies (${disks} disks, RPO 1 min)`,
        figure: 'RecoveryPointObjectiveBreached recorded after the objective, p99',
        value: percentile(late, 99),
        unit: 'ms',
        baseline: 'the 1 s allowed',
        baselineValue: 1000,
        better: 'lower',
      },
    ];
  } finally {
    await db.end().catch(() => undefined);
    await stack.resources.cleanup();
  }
}

/** 8. Replication policies: evaluation cost beside copies by hand, and the RPO timer's accuracy. */
export async function policyScenario(disks: number, rpoDisks: number): Promise<Row[]> {
  return [...(await evaluationRows(disks)), ...(await rpoTimerRows(rpoDisks))];
}
