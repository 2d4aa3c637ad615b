import { execFile, execFileSync } from 'node:child_process';

/** Every `ip`/`tc` call ends within this: a wedged netlink call must fail a test, never hang it. */
export const commandTimeoutMs = 10_000;

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** An `ip`/`tc`/`curl` call that failed, with what the tool said. */
export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(`${command.join(' ')} failed (${code ?? 'killed'}): ${stderr.trim() || 'no output'}`);
  }

  /** The thing to delete was already gone: what cleanup may ignore. */
  get notFound(): boolean {
    return /Cannot find device|No such file or directory|does not exist|Cannot open network namespace/i.test(
      this.stderr,
    );
  }
}

/** Runs `command` (no shell) with a timeout; rejects with a CommandError on a non-zero exit. */
export function runCommand(
  command: readonly string[],
  { timeoutMs = commandTimeoutMs, env }: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const [file, ...args] = command;
  if (!file) return Promise.reject(new Error('runCommand: empty command'));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = error.killed ? `timed out after ${timeoutMs} ms` : (error.code ?? null);
        reject(new CommandError(command, stderr || error.message, code));
      },
    );
  });
}

/**
 * The same, synchronously and best effort (its output, or undefined on failure): only for the
 * process 'exit' hook, where nothing asynchronous runs any more.
 */
export function runCommandSync(command: readonly string[]): string | undefined {
  const [file, ...args] = command;
  if (!file) return undefined;
  try {
    return execFileSync(file, args, {
      timeout: commandTimeoutMs,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined; // the next lab's sweep removes what is left
  }
}
