import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, runCommand, runCommandSync } from './run-command';

/** What one lab consists of, by name: enough to remove it whatever state it is in. */
export interface LabResources {
  bridge: string;
  namespaces: readonly string[];
  rootVeths: readonly string[];
}

/**
 * Removes a lab: kills every process left inside its namespaces (a namespace with a process in
 * it outlives `ip netns del`, and its veth with it), deletes the veths (which takes their
 * namespace ends along), the namespaces and the bridge. Whatever is already gone is skipped,
 * so it is safe after a partial setup and when run twice; other failures are collected and
 * thrown at the end, after every step was tried.
 */
export async function removeLab(lab: LabResources): Promise<void> {
  const failures: Error[] = [];
  const attempt = async (command: string[]) => {
    try {
      await runCommand(command);
    } catch (error) {
      if (!(error instanceof CommandError && error.notFound)) failures.push(error as Error);
    }
  };
  // A namespace already gone has no processes left to kill.
  await Promise.all(lab.namespaces.map((ns) => killProcessesIn(ns).catch(() => undefined)));
  for (const veth of lab.rootVeths) await attempt(['ip', 'link', 'del', veth]);
  for (const ns of lab.namespaces) await attempt(['ip', 'netns', 'del', ns]);
  await attempt(['ip', 'link', 'del', lab.bridge]);
  if (failures.length > 0)
    throw new AggregateError(
      failures,
      `network lab ${lab.bridge}: ${failures.map((f) => f.message).join('; ')}`,
    );
}

/** SIGKILLs what runs in `ns` and waits (up to 5 s) until it is empty. */
async function killProcessesIn(ns: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const pids = await pidsIn(ns);
    if (pids.length === 0 || Date.now() > deadline) return;
    for (const pid of pids) killQuietly(pid);
    await sleep(50);
  }
}

async function pidsIn(ns: string): Promise<number[]> {
  try {
    const { stdout } = await runCommand(['ip', 'netns', 'pids', ns]);
    return stdout.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The same, synchronously and best effort: for the process 'exit' hook. */
export function removeLabSync(lab: LabResources): void {
  for (const ns of lab.namespaces) {
    const pids = runCommandSync(['ip', 'netns', 'pids', ns]) ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) killQuietly(pid);
  }
  for (const veth of lab.rootVeths) runCommandSync(['ip', 'link', 'del', veth]);
  for (const ns of lab.namespaces) runCommandSync(['ip', 'netns', 'del', ns]);
  runCommandSync(['ip', 'link', 'del', lab.bridge]);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // ended meanwhile
  }
}
