import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tokenBucketArgs } from './link-shaping';
import { commandTimeoutMs } from './run-command';

export type NetworkLabAvailability = { ok: true } | { ok: false; reason: string };

let probed: NetworkLabAvailability | undefined;

/**
 * Whether createNetworkLab() can work here: Linux, root, `ip` and `tc`, and a real try at what
 * a lab does (a namespace, a veth into it, a bridge, a tbf qdisc), removed at once. Synchronous
 * (probed once per process, about 50 ms) so that a test file can choose `describe` or
 * `describe.skip` while Jest collects it, and print why it skips — never silently:
 *
 *     const available = networkLabAvailable();
 *     if (!available.ok) console.warn(`network lab tests skipped: ${available.reason}`);
 *     (available.ok ? describe : describe.skip)('…', () => { … });
 */
export function networkLabAvailable(): NetworkLabAvailability {
  return (probed ??= probe());
}

function run(command: string[]): void {
  const [file, ...args] = command as [string, ...string[]];
  try {
    execFileSync(file, args, {
      timeout: commandTimeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`${command.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

function probe(): NetworkLabAvailability {
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `network namespaces need root (uid ${uid})` };
  for (const tool of ['ip', 'tc']) {
    try {
      run([tool, '-V']);
    } catch (error) {
      return {
        ok: false,
        reason: `iproute2's \`${tool}\` is missing: ${(error as Error).message}`,
      };
    }
  }
  // Distinct from a lab's names (`sfnl<hex>`): 'sfpr'/'sfpb' + 8 hex = 12 characters.
  const tag = randomBytes(4).toString('hex');
  const [ns, veth, bridge] = [`sfpr${tag}`, `sfpr${tag}`, `sfpb${tag}`];
  try {
    run(['ip', 'netns', 'add', ns]);
    run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run(['ip', 'link', 'add', 'name', bridge, 'type', 'bridge']);
    run(['ip', 'link', 'set', 'dev', veth, 'master', bridge, 'up']);
    run(['tc', 'qdisc', 'add', 'dev', veth, ...tokenBucketArgs(1024 * 1024)]);
    run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'dev', 'lo', 'up']);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `cannot build a network lab here: ${(error as Error).message}` };
  } finally {
    for (const command of [
      ['ip', 'link', 'del', veth],
      ['ip', 'link', 'del', bridge],
      ['ip', 'netns', 'del', ns],
    ]) {
      try {
        run(command);
      } catch {
        // not made, or already gone
      }
    }
  }
}
