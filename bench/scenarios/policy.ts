import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Api, tenantAccount, tenantKey } from '../lib/api';
import type { Row } from '../lib/report';
import { percentile } from '../lib/stats';
import { destinationRegions, diskId, pool, sleep, sourceRegion, startStack } from '../lib/stack';

const tag = { key: 'dr', value: 'gold' };
const destination = destinationRegions[0]!;

/** Registers `count` snapshots on `count` new disks (tagged when asked) and makes each NORMAL. */
async function normalSnapshots(api: Api, count: number, tags: (typeof tag)[] = []) {
  const ids = new Array<string>(count);
  await pool(count, 8, async (i) => {
    const created = await api.json<{ snapshotId: string }>('POST', '/v1/snapshots', {
      region: sourceRegion,
      diskId: diskId(),
      diskUsage: 'DATA_DISK',
      diskSizeGiB: 1,
      tags,
    });
    await api.upload(created.snapshotId, randomBytes(4096));
    ids[i] = created.snapshotId;
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
 * 8a. Policy evaluation: `disks` disks under one policy, one new snapshot each. The snapshots
 * become NORMAL while the policy engine is held (the test holds its subscription row, as a
 * second catalog mid-batch would), so they are all waiting when it is let go: the figure is the
 * time from then to the last policy copy requested (the last `ReplicationRequested` recorded).
 * Baseline: the same number of copies of other NORMAL snapshots requested by hand, through
 * `POST /v1/snapshots/{id}/copies` from 10 connections, from the first request sent to the last
 * one recorded. No replicator runs: only the catalog's side is measured.
 */
async function evaluationRows(disks: number): Promise<Row[]> {
  const stack = await startStack({ replicators: 0 });
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const holder = new Client({ connectionString: stack.databaseUrl });
  await holder.connect();
  try {
    const api = stack.apis[0]!;
    const policyOwner = new Api(api.baseUrl, tenantKey(0));
    const byHand = new Api(api.baseUrl, tenantKey(1));
    const { policyId } = await policyOwner.json<{ policyId: string }>(
      'POST',
      '/v1/policies',
      policyBody(24 * 60),
    );
    await waitForCount(
      db,
      `SELECT count(*) AS n FROM subscriptions WHERE name = 'policy-engine'`,
      [],
      1,
    );
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM subscriptions WHERE name = 'policy-engine' FOR UPDATE`);
    await normalSnapshots(policyOwner, disks, [tag]);
    const { rows: released } = await holder.query<{ at: Date }>(`SELECT clock_timestamp() AS at`);
    await holder.query('ROLLBACK');
    const requested = `FROM events WHERE type = 'ReplicationRequested' AND data->>'policyId' = $1`;
    await waitForCount(db, `SELECT count(*) AS n ${requested}`, [policyId], disks);
    const { rows: last } = await db.query<{ at: Date }>(
      `SELECT max(recorded_at) AS at ${requested}`,
      [policyId],
    );
    const policySeconds = (last[0]!.at.getTime() - released[0]!.at.getTime()) / 1000;

    const sources = await normalSnapshots(byHand, disks);
    const { rows: started } = await db.query<{ at: Date }>(`SELECT clock_timestamp() AS at`);
    await pool(disks, 10, async (i) => {
      const answer = await byHand.copy(sources[i]!, [destination]);
      if (answer.results[0]?.code !== 'Success')
        throw new Error(`copy by hand refused: ${JSON.stringify(answer.results[0])}`);
    });
    const { rows: handLast } = await db.query<{ at: Date }>(
      `SELECT max(recorded_at) AS at FROM events WHERE type = 'ReplicationRequested' AND metadata->>'accountId' = $1`,
      [tenantAccount(1)],
    );
    const handSeconds = (handLast[0]!.at.getTime() - started[0]!.at.getTime()) / 1000;
    process.stderr.write(
      `bench: policy: ${disks} copies requested by the policy engine in ${policySeconds.toFixed(2)} s, by hand through the API in ${handSeconds.toFixed(2)} s\n`,
    );
    return [
      {
        scenario: `8 policies (${disks} disks, one policy)`,
        figure: `last snapshot NORMAL (engine let go) → last policy copy requested`,
        value: policySeconds,
        unit: 's',
        baseline: `the same ${disks} copies requested by hand (API, 10 connections)`,
        baselineValue: handSeconds,
        better: 'lower',
      },
    ];
  } finally {
    await holder.end().catch(() => undefined);
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
