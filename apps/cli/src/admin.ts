import type { Command } from 'commander';
import type { BetaResponse, RebuildResponse } from '@snapferry/contracts';
import type { ContextOf } from './context';
import { hashKeyCommand } from './hash-key';
import { scrubCommand } from './scrub';

/**
 * Operator tools (an operator's API key is needed; others get UnauthorizedOperation.OperatorOnly;
 * `hash-key` needs none).
 */
export function adminCommands(program: Command, contextOf: ContextOf): void {
  const admin = program.command('admin').description('operator tools');

  const beta = admin.command('beta').description('cross-region replication per account');
  for (const [verb, method, enabled] of [
    ['enable', 'PUT', true],
    ['disable', 'DELETE', false],
  ] as const)
    beta
      .command(`${verb} <accountId>`)
      .description(`${verb} cross-region replication for an account`)
      .action(async (accountId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(command);
        const answer = await ctx.api.json<BetaResponse>(
          method,
          `/v1/accounts/${encodeURIComponent(accountId)}/beta`,
        );
        ctx.out.result(
          answer,
          () => `cross-region replication ${enabled ? 'enabled' : 'disabled'} for ${accountId}`,
        );
      });

  admin
    .command('projections')
    .description('the read models')
    .command('rebuild')
    .description(
      'clear the read models and replay the whole event log into them (the service keeps running)',
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const answer = await ctx.api.json<RebuildResponse>('POST', '/v1/admin/projections/rebuild');
      ctx.out.result(answer, () => 'read models cleared; the projector is replaying the event log');
    });

  scrubCommand(admin, contextOf);
  hashKeyCommand(admin, contextOf);
}
