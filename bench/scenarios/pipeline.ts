import { amqpConfirmRate, eventAppendRate } from '../lib/baselines';
import { runPipeline, type PipelineResult } from '../lib/pipeline';
import type { Row } from '../lib/report';
import { Resources } from '../lib/resources';
import { startStack, type StackOptions } from '../lib/stack';

/** Runs the pipeline on a fresh stack shaped by `options`, then removes it. */
export async function pipelineOn(options: StackOptions, count: number): Promise<PipelineResult> {
  const stack = await startStack(options);
  try {
    return await runPipeline(stack, count);
  } catch (error) {
    for (const service of [...stack.catalogs, ...stack.replicators])
      process.stderr.write(`bench: ${service.kind} said:\n${service.recentOutput()}\n`);
    throw error;
  } finally {
    await stack.resources.cleanup();
  }
}

/**
 * 2. Pipeline: tiny copies through the whole stack, beside the raw publish-with-confirm rate
 * to a quorum queue and the raw event-append rate. Returns the run too: scenario 4's baseline.
 */
export async function pipelineScenario(
  count: number,
  options: StackOptions = {},
): Promise<{ rows: Row[]; run: PipelineResult }> {
  const run = await pipelineOn(options, count);
  const resources = new Resources();
  let publish;
  let append;
  try {
    const baselineCount = Math.max(2000, count * 2);
    publish = await amqpConfirmRate(await resources.vhost(), baselineCount);
    append = await eventAppendRate(await resources.database(), 10, baselineCount);
  } finally {
    await resources.cleanup();
  }
  const scenario = `2 pipeline (${count} copies)`;
  const rows: Row[] = [
    {
      scenario,
      figure: 'copies completed/s',
      value: run.completedPerSec,
      unit: '/s',
      baseline: 'amqplib confirmed publishes/s, quorum queue',
      baselineValue: publish.perSec,
      better: 'higher',
    },
    {
      scenario,
      figure: `events appended/s (${run.eventsPerCopy.toFixed(1)} per copy)`,
      value: run.eventsPerSec,
      unit: '/s',
      baseline: 'appendToStream/s, 10 writers',
      baselineValue: append.perSec,
      better: 'higher',
    },
    {
      scenario,
      figure: 'projection lag p50',
      value: run.lagP50Ms,
      unit: 'ms',
      baseline: 'appendToStream p50',
      baselineValue: append.p50Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: 'projection lag p99',
      value: run.lagP99Ms,
      unit: 'ms',
      baseline: 'appendToStream p99',
      baselineValue: append.p99Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: 'end-to-end latency p50 (request → NORMAL stored)',
      value: run.e2eP50Ms,
      unit: 'ms',
      baseline: 'appendToStream p50',
      baselineValue: append.p50Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: 'end-to-end latency p99',
      value: run.e2eP99Ms,
      unit: 'ms',
      baseline: 'appendToStream p99',
      baselineValue: append.p99Ms,
      better: 'lower',
    },
  ];
  return { rows, run };
}

/** 4. Scale: the pipeline with 2 replicator processes, then with 2 catalog instances, beside the 1 + 1 run. */
export async function scaleScenario(count: number, single: PipelineResult): Promise<Row[]> {
  const twoReplicators = await pipelineOn({ replicators: 2 }, count);
  const twoCatalogs = await pipelineOn({ catalogs: 2 }, count);
  const scenario = `4 scale (${count} copies)`;
  const baseline = '1 catalog + 1 replicator';
  return [
    {
      scenario,
      figure: 'copies completed/s, 2 replicators',
      value: twoReplicators.completedPerSec,
      unit: '/s',
      baseline,
      baselineValue: single.completedPerSec,
      better: 'higher',
    },
    {
      scenario,
      figure: 'copies completed/s, 2 catalogs',
      value: twoCatalogs.completedPerSec,
      unit: '/s',
      baseline,
      baselineValue: single.completedPerSec,
      better: 'higher',
    },
    {
      scenario,
      figure: 'end-to-end p99, 2 replicators',
      value: twoReplicators.e2eP99Ms,
      unit: 'ms',
      baseline,
      baselineValue: single.e2eP99Ms,
      better: 'lower',
    },
    {
      scenario,
      figure: 'end-to-end p99, 2 catalogs',
      value: twoCatalogs.e2eP99Ms,
      unit: 'ms',
      baseline,
      baselineValue: single.e2eP99Ms,
      better: 'lower',
    },
  ];
}
