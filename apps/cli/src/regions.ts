import type { Command } from 'commander';
import type { RegionsResponse } from '@snapferry/contracts';
import type { ContextOf } from './context';
import { formatBytes, table } from './output';

export function regionsCommand(program: Command, contextOf: ContextOf): void {
  program
    .command('regions')
    .description(
      'the region catalog, with your snapshot quota use and the chunk size of uploads per region',
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const answer = await ctx.api.get<RegionsResponse>('/v1/regions');
      ctx.out.result(answer, () => {
        const rows = answer.regions.map((r) => [
          r.id,
          r.name,
          r.geography,
          r.finance ? 'yes' : 'no',
          `${r.snapshotsUsed}/${r.snapshotQuota}`,
          formatBytes(r.chunkSize),
        ]);
        const refused = answer.geoRestrictions.map((g) => `${g.from} -> ${g.to}`).join(', ');
        return `${table(['REGION', 'NAME', 'GEOGRAPHY', 'FINANCE', 'SNAPSHOTS', 'CHUNK SIZE'], rows)}\nrefused geographies: ${refused || 'none'}`;
      });
    });
}
