import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `rabbitmqctl -q <args>`, always with a timeout: a wedged broker must fail a test, never hang
 * the run. `node` picks a private node (see private-broker.ts); default: the shared broker.
 */
export async function rabbitmqctl(
  args: string[],
  { node, timeoutMs = 60_000 }: { node?: string; timeoutMs?: number } = {},
): Promise<string> {
  const { stdout } = await run(
    'rabbitmqctl',
    [...(node ? ['-n', node] : []), '-q', '-t', String(Math.ceil(timeoutMs / 1000)), ...args],
    { timeout: timeoutMs + 5_000, killSignal: 'SIGKILL' },
  );
  return stdout;
}
