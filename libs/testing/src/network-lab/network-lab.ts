import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { claimSubnet } from './claim-subnet';
import { startDelayProxy } from './delay-proxy';
import {
  checkHostNames,
  hostInterface,
  labNames,
  labSubnet,
  type LabNames,
  type LabSubnet,
} from './lab-names';
import { type LabResources, removeLab, removeLabSync } from './lab-teardown';
import { tokenBucketArgs } from './link-shaping';
import { type CommandResult, runCommand } from './run-command';
import { sweepStaleLabs } from './stale-labs';
import { startTcpForwarder } from './tcp-forwarder';
import { type ProxyTarget, type TcpProxy } from './tcp-proxy';

/** One host of a lab: a network namespace whose only link is a veth into the lab's bridge. */
export interface NetworkLabHost {
  /** The name given to createNetworkLab, e.g. `ap-guangzhou`. */
  readonly name: string;
  /** The network namespace (`ip netns`), unique to this lab. */
  readonly namespace: string;
  /** Its address on the lab's /24: what other hosts (and the root namespace) connect to. */
  readonly ip: string;
  /** `['ip', 'netns', 'exec', namespace]`: put it in front of a command to run it inside. */
  readonly commandPrefix: readonly string[];
  /** Runs `command` inside the host and resolves with its output (rejects on a non-zero exit). */
  exec(
    command: readonly string[],
    options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<CommandResult>;
  /**
   * Spawns `command` inside the host. `ip netns exec` execs the command, so the child's pid is
   * the command's own (signals reach it). destroy() kills whatever still runs inside.
   */
  spawn(command: readonly string[], options?: SpawnOptions): ChildProcess;
  /** A token-bucket limit of `bytesPerSec` on this host's link, in each direction (replaces any). */
  limitRate(bytesPerSec: number): Promise<void>;
  /** Removes the limit. */
  clearRate(): Promise<void>;
  /** Takes the link down: packets to and from this host are lost (connections are not reset). */
  cut(): Promise<void>;
  /** Brings the link back up (a rate limit set before stays). */
  restore(): Promise<void>;
}

export interface NetworkLab {
  /** Four hex digits; every name of the lab contains `sfnl<id>`. */
  readonly id: string;
  /** The lab's /24, e.g. `10.163.7.0/24`. */
  readonly subnet: string;
  /** The bridge's address in the root namespace: where forwarders and proxies listen. */
  readonly gateway: string;
  readonly hosts: readonly NetworkLabHost[];
  /** The host of that name; throws for a name the lab does not have. */
  host(name: string): NetworkLabHost;
  /**
   * The URL under which a process inside any host reaches `url`, a service on the root
   * namespace (e.g. a test database's or vhost's URL on 127.0.0.1): same scheme, user,
   * password, path and query, with host and port replaced by a TCP forwarder on the gateway.
   * One forwarder per target host:port, started on first use.
   */
  forward(url: string): Promise<string>;
  /**
   * A delaying TCP proxy on the gateway to `target` (e.g. a host's store service): hosts that
   * connect to the proxy instead of the target see `delayMs` more latency in each direction.
   */
  startDelayProxy(options: {
    target: ProxyTarget;
    delayMs: number;
    maxBufferedBytes?: number;
  }): Promise<TcpProxy>;
  /**
   * Kills what still runs inside the hosts and removes namespaces, veths, bridge, forwarders
   * and proxies. Safe to call twice and after a partial setup; also runs (synchronously) when
   * the process exits without calling it.
   */
  destroy(): Promise<void>;
}

const defaultPorts: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'amqp:': 5672,
  'amqps:': 5671,
  'http:': 80,
  'https:': 443,
};

/**
 * Labs of this process not yet destroyed: removed on exit if a test forgot or crashed. The
 * hook is there only while a lab lives (Jest loads this module afresh for every test file).
 */
const live = new Set<LabResources>();
const removeLive = () => {
  for (const resources of live) removeLabSync(resources);
};
function registerForExit(lab: LabResources): void {
  if (live.size === 0) process.once('exit', removeLive);
  live.add(lab);
}
function unregisterForExit(lab: LabResources): void {
  if (live.delete(lab) && live.size === 0) process.off('exit', removeLive);
}

/**
 * Makes `hosts` into separate network hosts on this machine: one network namespace each
 * (with `lo` up), joined by veths to one bridge in the root namespace that has the first
 * address of a /24 no one else uses. Needs root (see networkLabAvailable()). Removes labs left
 * by processes that died before cleaning up, first.
 */
export async function createNetworkLab({
  hosts: hostNames,
}: {
  hosts: readonly string[];
}): Promise<NetworkLab> {
  checkHostNames(hostNames);
  // Best effort: a lab that cannot be swept now is tried again by the next lab.
  await sweepStaleLabs().catch(() => undefined);
  const id = await claimSubnet();
  const names = labNames(id);
  const subnet = labSubnet(id);
  const resources: LabResources = {
    bridge: names.bridge,
    namespaces: hostNames.map((host) => names.namespace(host)),
    rootVeths: hostNames.map((_, index) => names.rootVeth(index)),
  };
  registerForExit(resources);

  const proxies: Promise<TcpProxy>[] = [];
  const forwarders = new Map<string, Promise<TcpProxy>>();
  let destroyed: Promise<void> | undefined;
  const destroy = () => {
    destroyed ??= (async () => {
      // A proxy that failed to start has nothing to close.
      await Promise.all(
        proxies.map((proxy) => proxy.then((p) => p.close()).catch(() => undefined)),
      );
      await removeLab(resources);
      unregisterForExit(resources);
    })().catch((error: unknown) => {
      destroyed = undefined; // let a second call try again
      throw error;
    });
    return destroyed;
  };

  try {
    await runCommand(['ip', 'addr', 'add', `${subnet.gateway}/24`, 'dev', names.bridge]);
    await runCommand(['ip', 'link', 'set', 'dev', names.bridge, 'up']);
    for (const [index, name] of hostNames.entries()) await makeHost(names, subnet, name, index);
  } catch (error) {
    // The setup's error is what the caller needs; teardown skips what was never made.
    await destroy().catch(() => undefined);
    throw error;
  }

  const hosts = hostNames.map((name, index) =>
    hostHandle(name, names.namespace(name), subnet.hostIp(index), names.rootVeth(index)),
  );
  const track = async (start: () => Promise<TcpProxy>) => {
    if (destroyed) throw new Error(`network lab ${id} is destroyed`);
    const proxy = start();
    proxies.push(proxy);
    return proxy;
  };
  return {
    id,
    subnet: subnet.cidr,
    gateway: subnet.gateway,
    hosts,
    host: (name) => {
      const found = hosts.find((host) => host.name === name);
      if (!found) throw new Error(`network lab ${id} has no host ${name}`);
      return found;
    },
    forward: async (url) => {
      const parsed = new URL(url);
      const target = {
        host: parsed.hostname.replace(/^\[|\]$/g, ''),
        port: Number(parsed.port) || defaultPorts[parsed.protocol] || 0,
      };
      if (!target.port) throw new Error(`forward: no port in ${parsed.protocol} URL`);
      const key = `${target.host}:${target.port}`;
      if (destroyed) throw new Error(`network lab ${id} is destroyed`);
      let forwarder = forwarders.get(key);
      if (!forwarder) {
        forwarder = track(() => startTcpForwarder({ listenHost: subnet.gateway, target }));
        forwarders.set(key, forwarder);
        forwarder.catch(() => forwarders.delete(key)); // a failed start may be retried
      }
      parsed.hostname = subnet.gateway;
      parsed.port = String((await forwarder).port);
      return parsed.toString();
    },
    startDelayProxy: (options) =>
      track(() => startDelayProxy({ listenHost: subnet.gateway, ...options })),
    destroy,
  };
}

async function makeHost(
  names: LabNames,
  subnet: LabSubnet,
  host: string,
  index: number,
): Promise<void> {
  const ns = names.namespace(host);
  const veth = names.rootVeth(index);
  await runCommand(['ip', 'netns', 'add', ns]);
  // The namespace's end is created inside it, so every host calls its link eth0.
  await runCommand([
    'ip',
    'link',
    'add',
    veth,
    'type',
    'veth',
    'peer',
    'name',
    hostInterface,
    'netns',
    ns,
  ]);
  await runCommand(['ip', 'link', 'set', 'dev', veth, 'master', names.bridge, 'up']);
  await runCommand([
    'ip',
    '-n',
    ns,
    'addr',
    'add',
    `${subnet.hostIp(index)}/24`,
    'dev',
    hostInterface,
  ]);
  await runCommand(['ip', '-n', ns, 'link', 'set', 'dev', hostInterface, 'up']);
  await runCommand(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
}

function hostHandle(name: string, ns: string, ip: string, veth: string): NetworkLabHost {
  const commandPrefix = ['ip', 'netns', 'exec', ns] as const;
  const device = (end: 'root' | 'host') => (end === 'root' ? veth : hostInterface);
  return {
    name,
    namespace: ns,
    ip,
    commandPrefix,
    exec: (command, options) => runCommand([...commandPrefix, ...command], options),
    spawn: (command, options = {}) => {
      const [file, ...args] = [...commandPrefix, ...command] as [string, ...string[]];
      return spawn(file, args, options);
    },
    limitRate: async (bytesPerSec) => {
      // Both ends: the root end's egress is what flows into the host, eth0's what flows out.
      const bucket = tokenBucketArgs(bytesPerSec);
      await runCommand(['tc', 'qdisc', 'replace', 'dev', veth, ...bucket]);
      await runCommand(['tc', '-n', ns, 'qdisc', 'replace', 'dev', hostInterface, ...bucket]);
    },
    clearRate: async () => {
      for (const end of ['root', 'host'] as const) {
        const netns = end === 'host' ? ['-n', ns] : [];
        // Deleting the root qdisc where none was set fails: then there is nothing to undo.
        await runCommand(['tc', ...netns, 'qdisc', 'del', 'dev', device(end), 'root']).catch(
          (error: Error) => {
            if (!/No such file|handle of zero|Invalid handle/i.test(error.message)) throw error;
          },
        );
      }
    },
    cut: async () => void (await runCommand(['ip', 'link', 'set', 'dev', veth, 'down'])),
    restore: async () => void (await runCommand(['ip', 'link', 'set', 'dev', veth, 'up'])),
  };
}
