import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type {
  PolicyListResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyStatusResponse,
} from '@snapferry/contracts';
import type { Context, ContextOf } from './context';
import { ExitCode, UsageError } from './errors';
import { details, formatAge, show, table } from './output';
import { idList, nonNegativeInt, positiveInt, regionLists, tag, type TagOption } from './parse';

/** The flags of `policy create`; each one given replaces that field of `--file`'s policy. */
export interface PolicyCreateOptions {
  file?: string;
  name?: string;
  sourceRegion?: string;
  disk?: string[];
  tag?: TagOption[];
  to?: string[];
  keep?: number;
  keepDays?: number;
  sourceKeep?: number;
  sourceKeepDays?: number;
  minInterval?: number;
  rpo?: number;
  disabled?: boolean;
}

type PolicyBody = Record<string, unknown>;

export function policyCommands(program: Command, contextOf: ContextOf): void {
  const policy = program
    .command('policy')
    .description(
      'disaster recovery policies: copy the snapshots of chosen disks to other regions, prune them, watch the recovery point',
    );

  policy
    .command('create')
    .description(
      'create a replication policy from flags, from a JSON file (--file), or a file with flags that replace its fields',
    )
    .option('--file <path>', 'the policy as JSON (the body of POST /v1/policies; - for stdin)')
    .option('--name <name>', 'a name (at most 60 characters)')
    .option('--source-region <region>', 'the region whose snapshots it copies, e.g. ap-guangzhou')
    .option(
      '--disk <diskIds>',
      'select the snapshots of these disks (repeatable, comma-separated)',
      idList,
    )
    .option(
      '--tag <key=value>',
      'select the snapshots carrying this tag (repeatable: all of them)',
      tag,
    )
    .option('--to <regions>', 'destination regions (repeatable, comma-separated)', regionLists)
    .option('--keep <n>', 'keep the newest n copies of a disk in each destination', positiveInt)
    .option(
      '--keep-days <days>',
      'keep the copies younger than this in each destination',
      positiveInt,
    )
    .option(
      '--source-keep <n>',
      'also prune the selected source snapshots: keep the newest n',
      positiveInt,
    )
    .option(
      '--source-keep-days <days>',
      'also prune the selected source snapshots older than this',
      positiveInt,
    )
    .option(
      '--min-interval <minutes>',
      'the least time between two copies of a disk to a region (default 0)',
      nonNegativeInt,
    )
    .option(
      '--rpo <minutes>',
      'the recovery-point objective: the oldest the newest copy may be',
      positiveInt,
    )
    .option('--disabled', 'create it disabled (it copies nothing until enabled)')
    .action(async (options: PolicyCreateOptions, command: Command) => {
      const ctx = contextOf(command);
      const base = options.file === undefined ? {} : await policyFile(ctx, options.file);
      const created = await ctx.api.json<PolicyResponse>('POST', '/v1/policies', {
        json: policyBody(options, base),
      });
      ctx.out.result(created, () => policyDetails(created));
    });

  policy
    .command('list')
    .description("the account's policies")
    .option('--offset <n>', 'skip this many', nonNegativeInt)
    .option('--limit <n>', 'at most this many (1-100, default 20)', positiveInt)
    .action(async (options: { offset?: number; limit?: number }, command: Command) => {
      const ctx = contextOf(command);
      const page = await ctx.api.get<PolicyListResponse>('/v1/policies', {
        offset: options.offset,
        limit: options.limit,
      });
      ctx.out.result(page, () => policyTable(page));
    });

  policy
    .command('get <policyId>')
    .description('one policy, with the latest copies its destinations refused')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.api.get<PolicyResponse>(policyPath(id));
      ctx.out.result(found, () => policyDetails(found));
    });

  policy
    .command('preview <policyId>')
    .description('what the policy would copy and delete now, without doing it')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const preview = await ctx.api.get<PolicyPreviewResponse>(`${policyPath(id)}/preview`);
      ctx.out.result(preview, () => previewText(preview));
    });

  policy
    .command('status <policyId>')
    .description(
      'the recovery point of every selected disk in every destination: newest copy, age, OK / AT_RISK / BREACHED / NONE',
    )
    .addOption(
      new Option(
        '--fail-on <state>',
        'exit 6 when a recovery point is in this state or worse (for monitoring)',
      ).choices(['AT_RISK', 'BREACHED', 'NONE']),
    )
    .action(async (id: string, options: { failOn?: FailOn }, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.api.get<PolicyStatusResponse>(`${policyPath(id)}/status`);
      ctx.out.result(status, () => statusText(status));
      if (options.failOn && status.recoveryPoints.some((p) => failsOn(p.state, options.failOn!)))
        ctx.exitWith(ExitCode.recoveryPoint);
    });

  policy
    .command('delete <policyId>')
    .description('delete a policy (the copies it made stay)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      await ctx.api.json('DELETE', policyPath(id));
      ctx.out.result({ policyId: id, deleted: true }, () => `deleted ${id}`);
    });
}

const policyPath = (id: string) => `/v1/policies/${encodeURIComponent(id)}`;

type FailOn = 'AT_RISK' | 'BREACHED' | 'NONE';

/**
 * `--fail-on AT_RISK` fails on AT_RISK and BREACHED; `BREACHED` on BREACHED only; `NONE` also
 * on a destination that has no copy yet (with AT_RISK and BREACHED).
 */
export function failsOn(state: string, failOn: FailOn): boolean {
  const failing: Record<FailOn, string[]> = {
    BREACHED: ['BREACHED'],
    AT_RISK: ['AT_RISK', 'BREACHED'],
    NONE: ['NONE', 'AT_RISK', 'BREACHED'],
  };
  return failing[failOn].includes(state);
}

async function policyFile(ctx: Context, path: string): Promise<PolicyBody> {
  let text: string;
  try {
    text = path === '-' ? await readAll(ctx.stdin) : await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${path} must hold one JSON object (a policy)`);
  return parsed as PolicyBody;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body of `POST /v1/policies`: `base` (from `--file`, or empty) with each given flag in
 * place of its field. The catalog judges the whole (and names the field that is wrong); here
 * only what flags cannot say alone is a usage error.
 */
export function policyBody(options: PolicyCreateOptions, base: PolicyBody = {}): PolicyBody {
  const body: PolicyBody = { ...base };
  if (options.name !== undefined) body['name'] = options.name;
  if (options.sourceRegion !== undefined) body['sourceRegion'] = options.sourceRegion;
  if (options.disk !== undefined || options.tag !== undefined) {
    const selector = { ...(isObject(base['selector']) ? base['selector'] : {}) };
    if (options.disk !== undefined) selector['diskIds'] = options.disk;
    if (options.tag !== undefined) selector['tags'] = options.tag;
    body['selector'] = selector;
  }
  const retain = rule(options.keep, options.keepDays);
  if (options.to !== undefined) {
    if (!retain && !Array.isArray(base['destinations']))
      throw new UsageError(
        '--to needs --keep <n> and/or --keep-days <days> (what each destination keeps)',
      );
    body['destinations'] = options.to.map((region) => ({
      region,
      retain: retain ?? sameRegionRetain(base, region) ?? {},
    }));
  } else if (retain) {
    if (!Array.isArray(base['destinations']))
      throw new UsageError('--keep and --keep-days need --to <regions>');
    body['destinations'] = (base['destinations'] as unknown[]).map((d) =>
      isObject(d) ? { ...d, retain } : d,
    );
  }
  const sourceRetain = rule(options.sourceKeep, options.sourceKeepDays);
  if (sourceRetain) body['sourceRetain'] = sourceRetain;
  if (options.minInterval !== undefined) body['minIntervalMinutes'] = options.minInterval;
  if (options.rpo !== undefined) body['rpoMinutes'] = options.rpo;
  if (options.disabled) body['enabled'] = false;
  for (const [field, flag] of [
    ['name', '--name'],
    ['sourceRegion', '--source-region'],
    ['selector', '--disk or --tag'],
    ['destinations', '--to'],
    ['rpoMinutes', '--rpo'],
  ] as const)
    if (body[field] === undefined)
      throw new UsageError(`a policy needs ${flag} (or a --file that has ${field})`);
  return body;
}

function rule(count: number | undefined, maxAgeDays: number | undefined) {
  if (count === undefined && maxAgeDays === undefined) return undefined;
  return {
    ...(count !== undefined ? { count } : {}),
    ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
  };
}

/** With `--to` over a file, a region the file already lists keeps the file's retention. */
function sameRegionRetain(base: PolicyBody, region: string): unknown {
  const destinations = Array.isArray(base['destinations'])
    ? (base['destinations'] as unknown[])
    : [];
  const same = destinations.find((d) => isObject(d) && d['region'] === region);
  return isObject(same) ? same['retain'] : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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
