/**
 * Names and addresses of one network lab, all derived from its /24 so that claiming the subnet
 * (creating the bridge named after it, which the kernel does atomically) claims every name:
 * two labs made at once, by parallel test files or by other workers, can never collide.
 * Interface names stay within Linux's 15 characters.
 */

/** Every lab's names start with this (sweeps of stale labs look for it). */
export const labPrefix = 'sfnl';
const idPattern = /^sfnl([0-9a-f]{4})/;

/** Labs live in 10.<160–254>.<0–255>.0/24: away from the usual 10.0/16 and Docker's 172.16/12. */
const secondOctet = { min: 160, max: 254 };

export interface LabSubnet {
  /** Four hex digits naming the lab: the subnet's 2nd and 3rd octets. */
  id: string;
  /** e.g. `10.163.7.0/24` */
  cidr: string;
  /** `.1`: the bridge's address, where the forwarders listen. */
  gateway: string;
  /** Host `index` (0-based) gets `.2 + index`. */
  hostIp(index: number): string;
}

/** `.2` to `.254`. */
export const maxHosts = 253;

export function labSubnet(id: string): LabSubnet {
  if (!/^[0-9a-f]{4}$/.test(id)) throw new Error(`not a lab id: ${id}`);
  const b = parseInt(id.slice(0, 2), 16);
  const c = parseInt(id.slice(2), 16);
  const base = `10.${b}.${c}`;
  return {
    id,
    cidr: `${base}.0/24`,
    gateway: `${base}.1`,
    hostIp: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= maxHosts)
        throw new Error(`host index out of range: ${index}`);
      return `${base}.${index + 2}`;
    },
  };
}

/** A random candidate subnet; `random` returns [0, 1). */
export function randomLabId(random: () => number = Math.random): string {
  const b = secondOctet.min + Math.floor(random() * (secondOctet.max - secondOctet.min + 1));
  const c = Math.floor(random() * 256);
  return b.toString(16).padStart(2, '0') + c.toString(16).padStart(2, '0');
}

export interface LabNames {
  bridge: string;
  /** The root namespace's end of host `index`'s veth (the other end is `eth0` inside). */
  rootVeth(index: number): string;
  /** The network namespace of a host, readable: `sfnla307-ap-guangzhou`. */
  namespace(host: string): string;
}

/** Inside every host the link is called this. */
export const hostInterface = 'eth0';

export function labNames(id: string): LabNames {
  return {
    bridge: `${labPrefix}${id}br`,
    rootVeth: (index) => `${labPrefix}${id}v${index}`,
    namespace: (host) => `${labPrefix}${id}-${host}`,
  };
}

/** The lab id in a bridge, veth or namespace name of ours, else undefined. */
export function labIdOf(name: string): string | undefined {
  return idPattern.exec(name)?.[1];
}

/** Host names become part of a namespace name: lower-case letters, digits and dashes only. */
export function checkHostNames(hosts: readonly string[]): void {
  if (hosts.length === 0) throw new Error('a network lab needs at least one host');
  if (hosts.length > maxHosts) throw new Error(`a network lab holds at most ${maxHosts} hosts`);
  const seen = new Set<string>();
  for (const host of hosts) {
    if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(host))
      throw new Error(
        `host name ${JSON.stringify(host)}: use 1–48 lower-case letters, digits and dashes`,
      );
    if (seen.has(host)) throw new Error(`host name ${host} given twice`);
    seen.add(host);
  }
}

/** The owner stamp kept in the bridge's alias: which process may be gone, so its lab is stale. */
export interface LabOwner {
  pid: number;
  /** `/proc/self/ns/pid` of the owner: a pid means nothing in another pid namespace. */
  pidNamespace: string;
}

export function formatOwner(owner: LabOwner): string {
  return `snapferry-netlab pid=${owner.pid} pidns=${owner.pidNamespace}`;
}

export function parseOwner(alias: string): LabOwner | undefined {
  const match = /^snapferry-netlab pid=(\d+) pidns=(\S+)$/.exec(alias.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { pid: Number(match[1]), pidNamespace: match[2] };
}

/** Whether two IPv4 CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [na, la] = parseCidr(a);
  const [nb, lb] = parseCidr(b);
  const bits = Math.min(la, lb);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (na & mask) >>> 0 === (nb & mask) >>> 0;
}

function parseCidr(cidr: string): [number, number] {
  const [address, length] = cidr.split('/');
  const octets = (address ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const bits = length === undefined ? 32 : Number(length);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const value = octets.reduce((sum, o) => sum * 256 + o, 0);
  return [value >>> 0, bits];
}

/**
 * The IPv4 prefixes already in use in `ip -4 -o addr show` and `ip -4 route show table all`
 * output (the default route excepted: it overlaps everything and is no claim).
 */
export function prefixesInUse(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'default') continue;
    for (const word of words) {
      if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(word) && !word.startsWith('0.0.0.0'))
        found.add(word);
    }
  }
  return [...found];
}
