import { type Command, Option } from 'commander';
import type {
  PolicyListResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyStatusResponse,
} from '@snapferry/contracts';
import type { ContextOf } from './context';
import { ExitCode } from './errors';
import { idList, nonNegativeInt, positiveInt, regionLists, tag } from './parse';
import { policyBody, policyFile, type PolicyCreateOptions } from './policy-body';
import { policyDetails, policyTable, previewText, statusText } from './policy-output';

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
