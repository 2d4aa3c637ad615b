import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { isTerminal } from '@snapferry/domain';
import type {
  CopiesResponse,
  DestinationResultResponse,
  ReplicationResponse,
  SnapshotResponse,
} from '@snapferry/contracts';
import type { Context, ContextOf } from './context';
import { ApiError, ExitCode, errorLine } from './errors';
import { formatBytes, show, table } from './output';
import { deadline, positiveInt, regionList } from './parse';

interface CopyOptions {
  to: string[];
  name?: string;
  clientToken?: string;
  deadline?: string;
  wait?: boolean;
  pollInterval: number;
}

export function copyCommand(program: Command, contextOf: ContextOf): void {
  program
    .command('copy <snapshotId>')
    .description(
      'copy a snapshot to other regions (one result per destination; partial success is normal)',
    )
    .requiredOption('--to <regions>', 'destination regions, comma-separated', regionList)
    .option('--name <name>', 'name of the copies (default: Copied <id> from <region>)')
    .option(
      '--client-token <token>',
      'idempotency token: the same token again returns the first answer',
    )
    .option(
      '--deadline <time>',
      'when the copies should be NORMAL by: an ISO time (2026-12-04T18:00:00Z) or a duration from now (30m, 2h); a region starts the earliest deadline first',
      (value: string) => deadline(value),
    )
    .option('--wait', 'follow every copy with a progress bar until all end')
    .addOption(
      new Option('--poll-interval <ms>', 'how often --wait asks')
        .argParser(positiveInt)
        .default(500)
        .hideHelp(),
    )
    .action((id: string, options: CopyOptions, command: Command) =>
      copy(contextOf(command), id, options),
    );
}

/**
 * Exit codes: 0 all destinations accepted (and, with --wait, completed); 1 a destination was
 * refused; 3 with --wait, a copy ended FAILED or CANCELLED (it wins over 1).
 */
async function copy(ctx: Context, id: string, options: CopyOptions): Promise<void> {
  const response = await ctx.api.json<CopiesResponse>(
    'POST',
    `/v1/snapshots/${encodeURIComponent(id)}/copies`,
    {
      json: {
        destinationRegions: options.to,
        ...(options.name !== undefined ? { snapshotName: options.name } : {}),
        ...(options.clientToken !== undefined ? { clientToken: options.clientToken } : {}),
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      },
    },
  );
  for (const refused of response.results.filter((r) => r.code !== 'Success')) {
    ctx.out.notice(errorLine(`${refused.code}: ${refused.destinationRegion}: ${refused.message}`));
    ctx.exitWith(ExitCode.apiError);
  }
  const accepted = response.results.filter(
    (r) => r.code === 'Success' && r.replicationId && r.snapshotId,
  );
  if (!options.wait) return ctx.out.result(response, () => resultsTable(response.results));

  if (!ctx.out.json) ctx.out.stdout.write(`${resultsTable(response.results)}\n`);
  const replications = await watchCopies(ctx, accepted, options.pollInterval);
  for (const r of replications.filter((x) => x.state !== 'COMPLETED')) {
    ctx.out.notice(
      `error: copy to ${r.targetRegion} (${r.targetSnapshotId}) ended ${r.state}${r.error ? `: ${r.error}` : ''}`,
    );
    ctx.exitWith(ExitCode.copyFailed);
  }
  ctx.out.result({ ...response, replications }, () => outcomeTable(replications));
}

/**
 * One live bar per destination, polling each copy job and its target snapshot until the job
 * has ended and, when it completed, the target is NORMAL (readable).
 */
export async function watchCopies(
  ctx: Context,
  accepted: DestinationResultResponse[],
  intervalMs: number,
): Promise<ReplicationResponse[]> {
  const bars = ctx.bars();
  const width = Math.max(0, ...accepted.map((r) => r.destinationRegion.length));
  const watched = accepted.map((r) => ({
    result: r,
    bar: bars.create(`${r.destinationRegion.padEnd(width)} ${r.snapshotId!}`, 100, 0, 'REQUESTED'),
    last: undefined as ReplicationResponse | undefined,
    done: false,
  }));
  try {
    for (;;) {
      await Promise.all(
        watched
          .filter((w) => !w.done)
          .map(async (w) => {
            const [replication, target] = await Promise.all([
              ctx.api.get<ReplicationResponse>(`/v1/replications/${w.result.replicationId!}`),
              ctx.api
                .get<SnapshotResponse>(`/v1/snapshots/${w.result.snapshotId!}`)
                .catch(absentIfNotFound),
            ]);
            w.last = replication;
            w.done = copyEnded(replication, target);
            w.bar.update(
              w.done && replication.state === 'COMPLETED' ? 100 : replication.percent,
              progressDetail(replication, target),
            );
          }),
      );
      if (watched.every((w) => w.done)) return watched.map((w) => w.last!);
      await sleep(intervalMs);
    }
  } finally {
    bars.stop();
  }
}

const absentIfNotFound = (error: unknown): null => {
  if (error instanceof ApiError && error.status === 404) return null; // the target was deleted: the copy is cancelling
  throw error;
};

/** A completed copy counts once its target reads NORMAL; failed or cancelled ones at once. */
export function copyEnded(
  replication: ReplicationResponse,
  target: SnapshotResponse | null,
): boolean {
  if (!isTerminal(replication.state)) return false;
  return replication.state !== 'COMPLETED' || target === null || target.state === 'NORMAL';
}

export function progressDetail(
  replication: ReplicationResponse,
  target: SnapshotResponse | null,
): string {
  const bytes =
    replication.bytesTotal > 0
      ? ` ${formatBytes(replication.bytesDone)}/${formatBytes(replication.bytesTotal)}`
      : '';
  return `${replication.state}${target ? ` (${target.state})` : ''}${bytes}`;
}

export function resultsTable(results: DestinationResultResponse[]): string {
  return table(
    ['DESTINATION', 'RESULT', 'SNAPSHOT', 'REPLICATION', 'MESSAGE'],
    results.map((r) => [
      r.destinationRegion,
      r.code,
      show(r.snapshotId),
      show(r.replicationId),
      show(r.message),
    ]),
  );
}

export function outcomeTable(replications: ReplicationResponse[]): string {
  return table(
    ['DESTINATION', 'SNAPSHOT', 'STATE', 'COPIED', 'SKIPPED', 'ERROR'],
    replications.map((r) => [
      r.targetRegion,
      r.targetSnapshotId,
      r.state,
      `${formatBytes(r.bytesTransferred)} (${r.chunksCopied} chunks)`,
      `${r.chunksSkipped} chunks`,
      show(r.error),
    ]),
  );
}
