import type { Command } from 'commander';
import type { ReplicationResponse, ReplicationListResponse } from '@snapferry/contracts';
import type { ContextOf } from './context';
import { details, formatBytes, show, table } from './output';
import { nonNegativeInt, positiveInt } from './parse';

export function replicationCommands(program: Command, contextOf: ContextOf): void {
  const replication = program
    .command('replication')
    .description('copy jobs: state, bytes, chunks, attempts, error');

  replication
    .command('get <replicationId>')
    .description('one copy job')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.api.get<ReplicationResponse>(
        `/v1/replications/${encodeURIComponent(id)}`,
      );
      ctx.out.result(found, () => replicationDetails(found));
    });

  replication
    .command('list')
    .description('copy jobs, newest first')
    .option('--source <snapshotId>', 'only copies of this source snapshot')
    .option('--offset <n>', 'skip this many', nonNegativeInt)
    .option('--limit <n>', 'at most this many (1-100, default 20)', positiveInt)
    .action(
      async (options: { source?: string; offset?: number; limit?: number }, command: Command) => {
        const ctx = contextOf(command);
        const page = await ctx.api.get<ReplicationListResponse>('/v1/replications', {
          sourceSnapshotId: options.source,
          offset: options.offset,
          limit: options.limit,
        });
        ctx.out.result(page, () => replicationTable(page.replications));
      },
    );
}

export function replicationTable(replications: ReplicationResponse[]): string {
  return table(
    ['REPLICATION', 'SOURCE', 'TARGET', 'STATE', 'PROGRESS', 'REQUESTED'],
    replications.map((r) => [
      r.replicationId,
      `${r.sourceRegion}/${r.sourceSnapshotId}`,
      `${r.targetRegion}/${r.targetSnapshotId}`,
      r.state,
      `${r.percent}%`,
      r.requestedAt,
    ]),
  );
}

export function replicationDetails(r: ReplicationResponse): string {
  return details([
    ['replication', r.replicationId],
    ['source', `${r.sourceSnapshotId} in ${r.sourceRegion}`],
    ['target', `${r.targetSnapshotId} in ${r.targetRegion}`],
    ['state', r.state],
    ['progress', `${r.percent}% (${formatBytes(r.bytesDone)} of ${formatBytes(r.bytesTotal)})`],
    ['transferred', formatBytes(r.bytesTransferred)],
    ['chunks', `${r.chunksCopied} copied, ${r.chunksSkipped} already there`],
    ['attempts', r.attempts],
    ['error', show(r.error)],
    ['requested', r.requestedAt],
    ['started', r.startedAt],
    ['ended', r.endedAt],
  ]);
}
