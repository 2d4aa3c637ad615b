import autocannon from 'autocannon';
import { benchKey } from '../lib/api';
import { pgInsertRate } from '../lib/baselines';
import type { Row } from '../lib/report';
import { Resources } from '../lib/resources';
import { cpuSeconds } from '../lib/service';
import { createSources, destinationRegions, startStack, type StackOptions } from '../lib/stack';

/**
 * 1. API: copy requests accepted per second and their latency against one catalog process
 * (no replicator: only the API, relay and projections), beside single-row INSERT commits into
 * the same PostgreSQL from the same number of connections.
 */
export async function apiScenario(
  amount: number,
  connections = 10,
  options: StackOptions = {},
): Promise<Row[]> {
  const stack = await startStack({ ...options, replicators: 0 });
  let result: Awaited<ReturnType<typeof autocannon>>;
  let accepted = 0;
  try {
    const api = stack.apis[0]!;
    // Every request names a (source, region) pair not yet copying; region-major so that
    // concurrent requests name different sources.
    const sourceCount = Math.ceil(amount / destinationRegions.length);
    const sources = await createSources(api, sourceCount);
    let next = 0;
    const cpuBefore = cpuSeconds(stack.catalogs[0]!.pid);
    result = await autocannon({
      url: api.baseUrl,
      connections,
      amount,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          headers: { authorization: `Bearer ${benchKey}`, 'content-type': 'application/json' },
          setupRequest: (request) => {
            const i = next++;
            const source = sources[i % sourceCount]!;
            const region =
              destinationRegions[Math.floor(i / sourceCount) % destinationRegions.length]!;
            return {
              ...request,
              path: `/v1/snapshots/${source}/copies`,
              body: JSON.stringify({ destinationRegions: [region] }),
            };
          },
          onResponse: (status, body) => {
            if (status === 202 && body.includes('"Success"')) accepted += 1;
          },
        },
      ],
    });
    // Busy share of one core: far below 100 % means the catalog waits rather than works.
    const busy = (cpuSeconds(stack.catalogs[0]!.pid) - cpuBefore) / result.duration;
    process.stderr.write(
      `bench: api: catalog CPU ${(busy * 100).toFixed(0)} % of one core, ${((busy / (accepted / result.duration)) * 1000).toFixed(1)} ms CPU per request\n`,
    );
  } finally {
    await stack.resources.cleanup();
  }
  if (accepted < amount * 0.95)
    throw new Error(
      `api: only ${accepted} of ${amount} copy requests accepted (errors ${result.errors}, non-2xx ${result.non2xx})`,
    );

  const resources = new Resources();
  let insert;
  try {
    insert = await pgInsertRate(await resources.database(), connections, amount);
  } finally {
    await resources.cleanup();
  }
  const scenario = `1 API (${connections} conns)`;
  const baseline = `INSERT commits, ${connections} conns`;
  return [
    {
      scenario,
      figure: 'copy requests accepted/s',
      value: accepted / result.duration,
      unit: '/s',
      baseline,
      baselineValue: insert.perSec,
      better: 'higher',
    },
    {
      scenario,
      figure: 'copy request p50 latency',
      value: result.latency.p50,
      unit: 'ms',
      baseline,
      baselineValue: insert.p50Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: 'copy request p99 latency',
      value: result.latency.p99,
      unit: 'ms',
      baseline,
      baselineValue: insert.p99Ms,
      better: 'lower',
    },
  ];
}
