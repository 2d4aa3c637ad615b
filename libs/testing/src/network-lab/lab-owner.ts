import { readlinkSync } from 'node:fs';
import { type LabOwner } from './lab-names';

/** This process, as the owner stamped on the labs it makes. */
export function currentOwner(): LabOwner {
  return { pid: process.pid, pidNamespace: pidNamespace() };
}

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/[^a-z0-9]/gi, '');
  } catch {
    return 'unknown';
  }
}

/**
 * Whether a lab's owner is certainly gone: same pid namespace (a pid from another one means
 * nothing here, so such a lab is never touched) and no such process.
 */
export function ownerIsGone(owner: LabOwner, self: LabOwner = currentOwner()): boolean {
  if (owner.pidNamespace !== self.pidNamespace || owner.pidNamespace === 'unknown') return false;
  if (owner.pid === self.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
