import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Top self-time functions of the `.cpuprofile` files `node --cpu-prof` wrote into `dir`. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function summarizeProfiles(dir: string, top = 15): Promise<string> {
  const out: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)?.callFrame;
      const us = profile.timeDeltas[i] ?? 0;
      total += us;
      const where = frame?.url
        ? `${relative(process.cwd(), frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}`
        : '';
      const key = `${frame?.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + us);
    });
    out.push(`${file} (${(total / 1e6).toFixed(1)} s sampled)`);
    for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out.push(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
    }
  }
  return out.join('\n');
}
