import { readFile } from 'node:fs/promises';
import { labIdOf, labNames, parseOwner } from './lab-names';
import { ownerIsGone } from './lab-owner';
import { removeLab } from './lab-teardown';
import { runCommand } from './run-command';

/** Every link and namespace of any network lab on this machine, grouped by lab id. */
export async function labInventory(): Promise<
  Map<string, { links: string[]; namespaces: string[] }>
> {
  const links = JSON.parse((await runCommand(['ip', '-j', 'link', 'show'])).stdout || '[]') as {
    ifname: string;
  }[];
  const namespaces = JSON.parse(
    (await runCommand(['ip', '-j', 'netns', 'list'])).stdout || '[]',
  ) as { name: string }[];
  const labs = new Map<string, { links: string[]; namespaces: string[] }>();
  const entry = (id: string) => {
    let lab = labs.get(id);
    if (!lab) labs.set(id, (lab = { links: [], namespaces: [] }));
    return lab;
  };
  for (const { ifname } of links) {
    const id = labIdOf(ifname);
    if (id) entry(id).links.push(ifname);
  }
  for (const { name } of namespaces) {
    const id = labIdOf(name);
    if (id) entry(id).namespaces.push(name);
  }
  return labs;
}

/**
 * Removes the labs left behind by processes that are gone (a test worker killed before its
 * `destroy()` or its exit hook ran), so that re-runs start clean. A lab is stale when its
 * bridge's owner stamp names a process of this pid namespace that no longer exists, or when
 * its bridge is gone but namespaces or veths remain. A lab whose bridge carries no stamp yet
 * is being made right now and is left alone, as is every lab of a live or foreign owner.
 * Returns the ids removed.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  for (const [id, found] of await labInventory()) {
    const names = labNames(id);
    if (found.links.includes(names.bridge)) {
      const alias = await readFile(`/sys/class/net/${names.bridge}/ifalias`, 'utf8').catch(
        () => '',
      );
      const owner = parseOwner(alias);
      if (!owner || !ownerIsGone(owner)) continue;
    }
    // Best effort: what cannot be removed now is tried again by the next sweep.
    await removeLab({
      bridge: names.bridge,
      namespaces: found.namespaces,
      rootVeths: found.links.filter((link) => link !== names.bridge),
    }).catch(() => undefined);
    removed.push(id);
  }
  return removed;
}
