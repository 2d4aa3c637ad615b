import {
  cidrsOverlap,
  formatOwner,
  labNames,
  labSubnet,
  prefixesInUse,
  randomLabId,
} from './lab-names';
import { currentOwner } from './lab-owner';
import { CommandError, runCommand } from './run-command';

/**
 * Picks a /24 that no address or route of the root namespace uses and claims it by creating
 * the bridge named after it (the kernel refuses a second link of the same name, so two labs
 * made at the same moment cannot get the same subnet); stamps the bridge with this process
 * as its owner. Returns the lab id.
 */
export async function claimSubnet(attempts = 40): Promise<string> {
  const inUse = prefixesInUse(
    (await runCommand(['ip', '-4', '-o', 'addr', 'show'])).stdout +
      (await runCommand(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout,
  );
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const id = randomLabId();
    const { cidr } = labSubnet(id);
    if (inUse.some((prefix) => cidrsOverlap(prefix, cidr))) continue;
    const { bridge } = labNames(id);
    try {
      await runCommand(['ip', 'link', 'add', 'name', bridge, 'type', 'bridge']);
    } catch (error) {
      if (error instanceof CommandError && /File exists/i.test(error.stderr)) continue;
      throw error;
    }
    await runCommand(['ip', 'link', 'set', 'dev', bridge, 'alias', formatOwner(currentOwner())]);
    return id;
  }
  throw new Error(`no free 10.x.y.0/24 for a network lab after ${attempts} tries`);
}
