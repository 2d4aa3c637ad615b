import type { Command } from 'commander';
import type { ScrubReportResponse } from '@snapferry/contracts';
import type { ContextOf } from './context';
import { ExitCode } from './errors';
import { formatBytes, table } from './output';

/** `snapferry admin scrub <region>`: re-verify every stored chunk; exit 5 if anything is damaged. */
export function scrubCommand(admin: Command, contextOf: ContextOf): void {
  admin
    .command('scrub <region>')
    .description(
      "re-read and re-verify every chunk a region stores, and check every snapshot's chunks are present (corrupt chunks are removed); exit 5 if anything is damaged",
    )
    .action(async (region: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const report = await ctx.api.json<ScrubReportResponse>(
        'POST',
        `/v1/admin/regions/${encodeURIComponent(region)}/scrub`,
      );
      ctx.out.result(report, () => scrubText(report));
      if (report.corrupt.length > 0 || report.missing.length > 0) ctx.exitWith(ExitCode.damaged);
    });
}

export function scrubText(report: ScrubReportResponse): string {
  const summary = `${report.region}: ${report.chunksChecked} chunks (${formatBytes(report.bytesChecked)}) checked, ${report.corrupt.length} corrupt, ${report.missing.length} missing`;
  const rows = [
    ...report.corrupt.map((f) => ['corrupt (removed)', f.digest, f.snapshots.join('\n') || '-']),
    ...report.missing.map((f) => ['missing', f.digest, f.snapshots.join('\n') || '-']),
  ];
  if (rows.length === 0) return `${summary}\nno damage found`;
  return `${table(['FINDING', 'CHUNK', 'SNAPSHOTS'], rows)}\n${summary}`;
}
