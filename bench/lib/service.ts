import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/**
 * A catalog or replicator as a child process built from dist/. Logs are at `warn` (log output
 * costs CPU), so readiness is a free port chosen here plus polling `/health/live`.
 */

const root = resolve(__dirname, '..', '..', '..');
const mains = {
  catalog: { main: 'dist/apps/catalog/src/main.js', portVar: 'PORT' },
  replicator: { main: 'dist/apps/replicator/src/main.js', portVar: 'REPLICATOR_PORT' },
} as const;
export type ServiceKind = keyof typeof mains;

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Kibibytes of a `/proc/<pid>/status` field (VmRSS, VmHWM), 0 once the process is gone. */
export function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU seconds a process has used (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by every process whose command is `comm` (e.g. `postgres`, `beam.smp`). */
export function cpuSecondsOf(comm: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm)
        total += cpuSeconds(Number(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU seconds so far of these services (by name: pid), PostgreSQL, RabbitMQ and this process. */
export function cpuSnapshot(services: Record<string, number>): Record<string, number> {
  const own = process.cpuUsage();
  return {
    ...Object.fromEntries(Object.entries(services).map(([k, pid]) => [k, cpuSeconds(pid)])),
    postgres: cpuSecondsOf('postgres'),
    rabbitmq: cpuSecondsOf('beam.smp'),
    bench: (own.user + own.system) / 1e6,
  };
}

export const cpuSince = (before: Record<string, number>, services: Record<string, number>) => {
  const after = cpuSnapshot(services);
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));
};

/** Where the machine's CPU went while `work` ran: seconds per process kind. */
export async function cpuShares<T>(
  services: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; cpu: Record<string, number> }> {
  const before = cpuSnapshot(services);
  const t0 = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - t0) / 1000, cpu: cpuSince(before, services) };
}

/** `catalog 4.1, postgres 5.2, …` ms of CPU per unit of work. */
export const perUnit = (cpu: Record<string, number>, units: number): string =>
  Object.entries(cpu)
    .map(([k, s]) => `${k} ${((s / units) * 1000).toFixed(2)}`)
    .join(', ');

export interface ServiceOptions {
  /** Directory for a `--cpu-prof` profile (written when the process exits on SIGTERM). */
  cpuProfDir?: string;
  /** Run inside a network-lab host (its namespace and address), on a fixed port. */
  within?: { commandPrefix: readonly string[]; ip: string; port: number };
}

export class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private tail: string[] = [];

  /** The last lines the process wrote (warnings and errors at the bench's log level). */
  recentOutput(): string {
    return this.tail.join('');
  }
  url = '';
  /** VmRSS right after start: the idle footprint that peaks are compared with. */
  idleRssKiB = 0;

  constructor(
    readonly kind: ServiceKind,
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: ServiceOptions = {},
  ) {}

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.kind} is not running`);
    return this.child.pid;
  }

  async start(timeoutMs = 60_000): Promise<this> {
    const within = this.options.within;
    const port = within?.port ?? (await freePort());
    const { main, portVar } = mains[this.kind];
    const flags = this.options.cpuProfDir
      ? ['--cpu-prof', `--cpu-prof-dir=${this.options.cpuProfDir}`]
      : [];
    const command = [
      ...(within?.commandPrefix ?? []),
      process.execPath,
      ...flags,
      '-r',
      './scripts/register-paths.js',
      main,
    ];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: root,
      env: { ...this.env, [portVar]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    const keep = (chunk: Buffer) => {
      this.tail.push(chunk.toString('utf8'));
      if (this.tail.length > 50) this.tail.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.url = `http://${within?.ip ?? '127.0.0.1'}:${port}`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      const ok = await fetch(`${this.url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        // The catalog starts its relay and projector right after listening.
        await new Promise((done) => setTimeout(done, 300));
        this.idleRssKiB = procKiB(this.pid, 'VmRSS');
        return this;
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`${this.kind} did not become healthy:\n${this.tail.join('')}`);
  }

  /** Whether the process has started and not exited. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  peakRssKiB(): number {
    return procKiB(this.pid, 'VmHWM');
  }

  /** SIGTERM (a clean stop writes the CPU profile), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
