import autocannon from 'autocannon';
import { Api, benchKey, tenantCount, tenantKey } from '../lib/api';
import { pgInsertRate } from '../lib/baselines';
import type { Row } from '../lib/report';
import { Resources } from '../lib/resources';
import { cpuShares, perUnit } from '../lib/service';
import { createSources, destinationRegions, startStack, type StackOptions } from '../lib/stack';

type Target = { key: string; path: string; region: string };

/** Sends `targets` as copy requests from `connections` connections; counts the accepted ones. */
async function copyRequests(baseUrl: string, targets: Target[], connections: number) {
  let next = 0;
  let accepted = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    amount: targets.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const target = targets[next++ % targets.length]!;
          return {
            ...request,
            path: target.path,
            headers: { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ destinationRegions: [target.region] }),
          };
        },
        onResponse: (status, body) => {
          if (status === 202 && body.includes('"Success"')) accepted += 1;
        },
      },
    ],
  });
  if (accepted < targets.length * 0.95)
    throw new Error(
      `api: only ${accepted} of ${targets.length} copy requests accepted (errors ${result.errors}, non-2xx ${result.non2xx})`,
    );
  return {
    perSec: accepted / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    result,
  };
}

const copyTarget = (key: string, source: string, region: string): Target => ({
  key,
  path: `/v1/snapshots/${source}/copies`,
  region,
});

/**
 * 1. API: copy requests accepted per second and their latency against one catalog process
 * (no replicator: only the API, relay and projections), beside single-row INSERT commits into
 * the same PostgreSQL from the same number of connections. Two shapes of traffic: spread over
 * 8 accounts x 8 regions as real traffic is (concurrent requests touch different quota rows),
 * and one account copying to one region at a time, where every request in flight queues on
 * the same quota row (the hot-row case).
 */
export async function apiScenario(
  amount: number,
  connections = 10,
  options: StackOptions = {},
): Promise<Row[]> {
  const stack = await startStack({ ...options, replicators: 0 });
  let spread;
  let hot;
  try {
    const api = stack.apis[0]!;
    // Spread: request i is account i % 8 to region (i / 8) % 8, each (source, region) pair new.
    const perAccount = Math.ceil(amount / tenantCount / destinationRegions.length);
    const tenantSources = await Promise.all(
      Array.from({ length: tenantCount }, (_, a) =>
        createSources(new Api(api.baseUrl, tenantKey(a)), perAccount, 4096, 2),
      ),
    );
    const spreadTargets = Array.from({ length: amount }, (_, i) => {
      const account = i % tenantCount;
      const j = Math.floor(i / tenantCount);
      return copyTarget(
        tenantKey(account),
        tenantSources[account]![Math.floor(j / destinationRegions.length)]!,
        destinationRegions[j % destinationRegions.length]!,
      );
    });
    // Hot row: one account, region-major, so requests in flight name one region (and different sources).
    const sourceCount = Math.ceil(amount / destinationRegions.length);
    const sources = await createSources(api, sourceCount);
    const hotTargets = Array.from({ length: amount }, (_, i) =>
      copyTarget(
        benchKey,
        sources[i % sourceCount]!,
        destinationRegions[Math.floor(i / sourceCount) % destinationRegions.length]!,
      ),
    );

    // Where the two cores went: far below 100 % of a core for the catalog means it waits rather than works.
    const measured = await cpuShares({ catalog: stack.catalogs[0]!.pid }, () =>
      copyRequests(api.baseUrl, spreadTargets, connections),
    );
    spread = measured.result;
    const accepted = spread.perSec * measured.seconds;
    process.stderr.write(
      `bench: api: ms of CPU per copy request: ${perUnit(measured.cpu, accepted)} (catalog ${((measured.cpu.catalog! / measured.seconds) * 100).toFixed(0)} % of a core)\n`,
    );
    hot = await copyRequests(api.baseUrl, hotTargets, connections);
  } finally {
    await stack.resources.cleanup();
  }

  const resources = new Resources();
  let insert;
  try {
    insert = await pgInsertRate(await resources.database(), connections, amount);
  } finally {
    await resources.cleanup();
  }
  const scenario = `1 API (${connections} conns)`;
  const baseline = `INSERT commits, ${connections} conns`;
  const rows = (label: string, run: { perSec: number; p50: number; p99: number }): Row[] => [
    {
      scenario,
      figure: `copy requests accepted/s, ${label}`,
      value: run.perSec,
      unit: '/s',
      baseline,
      baselineValue: insert.perSec,
      better: 'higher',
    },
    {
      scenario,
      figure: `copy request p50 latency, ${label}`,
      value: run.p50,
      unit: 'ms',
      baseline,
      baselineValue: insert.p50Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: `copy request p99 latency, ${label}`,
      value: run.p99,
      unit: 'ms',
      baseline,
      baselineValue: insert.p99Ms,
      better: 'lower',
    },
  ];
  return [...rows('8 accounts x 8 regions', spread), ...rows('one hot quota row', hot)];
}
