import { type Command, Option } from 'commander';
import type { Role } from '@snapferry/platform';
import type { ContextOf } from './context';
import { UsageError } from './errors';

/**
 * The SNAPFERRY_API_KEYS entry for a key: its SHA-256 instead of the key itself. The rules and
 * the digest are the services' own (loaded only here: the platform library is slow to load for
 * every other command).
 */
export async function hashedKeyEntry(key: string, accountId: string, role: Role): Promise<string> {
  const { accountIdPattern, apiKeyPattern, apiKeySha256 } = await import('@snapferry/platform');
  if (/^sha256:/i.test(key)) throw new UsageError('that is already a sha256: entry, not a key');
  if (!apiKeyPattern.test(key))
    throw new UsageError(
      'an API key has 8 to 200 characters and no spaces, "=" or "," (the key itself is not shown)',
    );
  if (!accountIdPattern.test(accountId))
    throw new UsageError(
      `--account ${accountId}: letters, digits, "_", "." and "-", at most 64, starting with a letter or digit`,
    );
  return `sha256:${apiKeySha256(key)}=${accountId}:${role}`;
}

/** The first line of a stream (the key piped in, or typed and ended with Enter). */
export async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

const roles: readonly Role[] = ['user', 'operator'];

/**
 * `snapferry admin hash-key --account A [--role R] [KEY]`: prints the `sha256:` entry for
 * SNAPFERRY_API_KEYS, so a deployment's configuration holds no usable key. The key is read from
 * stdin unless given (an argument would stay in the shell's history). Needs no API.
 */
export function hashKeyCommand(admin: Command, contextOf: ContextOf): void {
  admin
    .command('hash-key [key]')
    .description(
      'print the SNAPFERRY_API_KEYS entry (sha256:<hex>=<account>:<role>) for a key read from stdin',
    )
    .requiredOption('--account <accountId>', 'the account the key belongs to')
    .addOption(new Option('--role <role>', 'the key’s role').choices(roles).default('user'))
    .action(
      async (
        key: string | undefined,
        options: { account: string; role: Role },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        if (key !== undefined)
          ctx.out.notice('note: a key given as an argument stays in the shell history; pipe it in');
        else if (ctx.stdin.isTTY) ctx.out.notice('API key (then Enter):');
        const entry = await hashedKeyEntry(
          key ?? (await firstLine(ctx.stdin)),
          options.account,
          options.role,
        );
        ctx.out.result({ entry, accountId: options.account, role: options.role }, () => entry);
      },
    );
}
