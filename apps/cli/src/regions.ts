import type { Command } from 'commander';
import type { RegionsResponse } from '@snapferry/contracts';
import type { ContextOf } from './context';
import { table } from './output';

export function regionsCommand(program: Command, contextOf: ContextOf): void {
  program
    .command('regions')
    .description('the region catalog, with your snapshot quota use per region')
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
        ]);
        const refused = answer.geoRestrictions.map((g) => `${g.from} -> ${g.to}`).join(', ');
        return `${table(['REGION', 'NAME', 'GEOGRAPHY', 'FINANCE', 'SNAPSHOTS'], rows)}\nrefused geographies: ${refused || 'none'}`;
      });
    });
}
