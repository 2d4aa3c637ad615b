import type {
  PolicyListResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyStatusResponse,
} from '@snapferry/contracts';
import { details, formatAge, show, table } from './output';

type Retain = { count?: number; maxAgeDays?: number } | undefined;

/** `newest 3, 7 days` */
export function retainText(retain: Retain): string {
  if (!retain) return '-';
  const parts = [
    retain.count !== undefined ? `newest ${retain.count}` : undefined,
    retain.maxAgeDays !== undefined ? `${retain.maxAgeDays} days` : undefined,
  ].filter((p) => p !== undefined);
  return parts.join(', ') || '-';
}

/** `disk-a, disk-b; tier=gold` */
export function selectorText(selector: PolicyResponse['selector']): string {
  const disks = selector.diskIds?.join(', ');
  const tags = selector.tags?.map((t) => `${t.key}=${t.value}`).join(', ');
  return [disks, tags].filter((p) => p !== undefined && p !== '').join('; ') || '-';
}

export function policyTable(page: PolicyListResponse): string {
  const rows = page.policies.map((p) => [
    p.policyId,
    p.name,
    p.sourceRegion,
    selectorText(p.selector),
    p.destinations.map((d) => `${d.region} (${retainText(d.retain)})`).join('\n'),
    `${p.rpoMinutes} min`,
    p.enabled ? 'yes' : 'no',
    p.failures.length,
  ]);
  const shown =
    page.policies.length === 0
      ? 'no policies'
      : `${page.offset + 1}-${page.offset + page.policies.length}`;
  return `${table(['POLICY', 'NAME', 'SOURCE', 'SELECTS', 'DESTINATIONS (KEEP)', 'RPO', 'ENABLED', 'REFUSALS'], rows)}\n${shown} of ${page.total}`;
}

export function policyDetails(p: PolicyResponse): string {
  const main = details([
    ['policy', p.policyId],
    ['name', p.name],
    ['source region', p.sourceRegion],
    ['selects', selectorText(p.selector)],
    ['source keeps', p.sourceRetain ? retainText(p.sourceRetain) : 'all'],
    ['min interval', `${p.minIntervalMinutes} min`],
    ['rpo', `${p.rpoMinutes} min`],
    ['enabled', p.enabled],
    ['created', p.createdAt],
    ['updated', p.updatedAt],
  ]);
  const destinations = table(
    ['DESTINATION', 'KEEPS'],
    p.destinations.map((d) => [d.region, retainText(d.retain)]),
  );
  const parts = [main, destinations];
  if (p.failures.length > 0)
    parts.push(
      table(
        ['REFUSED', 'DISK', 'DESTINATION', 'CODE', 'MESSAGE', 'AT'],
        p.failures.map((f) => [
          f.snapshotId,
          f.diskId,
          f.destinationRegion,
          f.code,
          f.message,
          f.refusedAt,
        ]),
      ),
    );
  return parts.join('\n');
}

export function previewText(preview: PolicyPreviewResponse): string {
  const copies =
    preview.copies.length === 0
      ? 'no copies to start'
      : table(
          ['COPY', 'DISK', 'TO'],
          preview.copies.map((c) => [c.snapshotId, c.diskId, c.destinationRegion]),
        );
  const deletions =
    preview.deletions.length === 0
      ? 'nothing to delete'
      : table(
          ['DELETE', 'REGION', 'WHY'],
          preview.deletions.map((d) => [d.snapshotId, d.region, d.reason]),
        );
  return `${copies}\n${deletions}`;
}

export function statusText(status: PolicyStatusResponse): string {
  if (status.recoveryPoints.length === 0)
    return `${status.policyId}: no disk selected yet (objective ${status.rpoMinutes} min)`;
  const rows = status.recoveryPoints.map((p) => [
    p.diskId,
    p.region,
    show(p.snapshotId),
    show(p.recoversTo),
    formatAge(p.ageSeconds),
    p.state,
  ]);
  return `${table(['DISK', 'REGION', 'NEWEST COPY', 'RECOVERS TO', 'AGE', 'STATE'], rows)}\n${status.policyId}: objective ${status.rpoMinutes} min, as of ${status.evaluatedAt}`;
}
