import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTestBroker,
  createTestDatabase,
  type TestBroker,
  type TestDatabase,
} from '@snapferry/testing';
import { apiClient, apiKeysEnv } from './catalog-harness';

/**
 * The services as real child processes built from dist/ (the faults tier's globalSetup builds
 * it), so that a test can SIGKILL or SIGTERM them and start them again on the same database,
 * vhost, data directory and port.
 */

const root = resolve(__dirname, '..', '..');
const entryPoints = {
  catalog: { main: 'dist/apps/catalog/src/main.js', ready: 'catalog listening', portVar: 'PORT' },
  replicator: {
    main: 'dist/apps/replicator/src/main.js',
    ready: 'replicator running',
    portVar: 'REPLICATOR_PORT',
  },
} as const;
export type ServiceName = keyof typeof entryPoints;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Where a service runs when not on this machine's own network: a network lab's host (see
 * createNetworkLab in @snapferry/testing). The process is started behind `commandPrefix`
 * (`ip netns exec <ns>`, which execs, so the pid is still node's own and kill() reaches it),
 * and its URL names `ip` instead of the 127.0.0.1 it logs.
 */
export interface ServiceHost {
  readonly commandPrefix: readonly string[];
  readonly ip: string;
}

const maxLines = 3000;
/** Every process spawned by this test file: their output is printed when a test fails. */
const spawned = new Set<ServiceProcess>();

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<Exit> | undefined;
  private readonly lines: string[] = [];
  private readonly listeners: ((line: string) => void)[] = [];
  private starts = 0;
  url = '';

  constructor(
    readonly name: ServiceName,
    private env: NodeJS.ProcessEnv,
    private readonly options: { within?: ServiceHost } = {},
  ) {
    spawned.add(this);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Spawns the process and resolves once it logged its ready line (with its URL). */
  async start(timeoutMs = 30_000): Promise<this> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { main, ready } = entryPoints[this.name];
    this.starts += 1;
    this.note(`--- start #${this.starts}`);
    // Inside a lab host, `ip netns exec <ns>` comes first and execs node.
    const [file = process.execPath, ...args] = [
      ...(this.options.within?.commandPrefix ?? []),
      process.execPath,
      '-r',
      './scripts/register-paths.js',
      main,
    ];
    const child = spawn(file, args, {
      cwd: root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = new Promise<Exit>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    void this.exit.then(({ code, signal }) => this.note(`--- exit code=${code} signal=${signal}`));

    let onReady: (url: string) => void = () => undefined;
    const readyUrl = new Promise<string>((done) => (onReady = done));
    const reader = (stream: NodeJS.ReadableStream, label: string) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          for (const listener of this.listeners) listener(line);
          // Successful GETs (the tests poll a lot) would crowd out everything else.
          if (!(line.includes('"method":"GET"') && line.includes('"statusCode":2')))
            this.note(`${label} ${line}`);
          if (!line.includes(ready)) continue;
          try {
            const parsed = JSON.parse(line) as { msg?: string; url?: string };
            if (parsed.msg === ready && parsed.url) onReady(parsed.url);
          } catch {
            // not a JSON log line
          }
        }
      });
    };
    reader(child.stdout, 'out');
    reader(child.stderr, 'err');

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      readyUrl.then((url) => ({ url })),
      this.exit.then((exit) => ({ exit })),
      new Promise<{ timeout: true }>(
        (done) => (timer = setTimeout(() => done({ timeout: true }), timeoutMs)),
      ),
    ]);
    clearTimeout(timer);
    if ('url' in outcome) {
      this.url = this.options.within ? hostUrl(outcome.url, this.options.within.ip) : outcome.url;
      // A restart keeps the port, so clients made from `url` stay valid.
      this.env = { ...this.env, [entryPoints[this.name].portVar]: new URL(outcome.url).port };
      return this;
    }
    if ('timeout' in outcome) child.kill('SIGKILL');
    throw new Error(
      `${this.name} did not start (${'exit' in outcome ? `exit ${JSON.stringify(outcome.exit)}` : `no '${ready}' within ${timeoutMs} ms`}):\n${this.output()}`,
    );
  }

  /** Sends `signal` and waits for the process to end (SIGKILL after `timeoutMs` if it does not). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<Exit> {
    const child = this.child;
    if (!child || !this.exit) throw new Error(`${this.name} was never started`);
    if (!this.running) return this.exit;
    this.note(`--- sending ${signal}`);
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.exit,
      new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (ended) return ended;
    child.kill('SIGKILL');
    await this.exit;
    throw new Error(`${this.name} did not stop within ${timeoutMs} ms of ${signal}`);
  }

  /** Kills it (SIGKILL unless told otherwise) if it still runs, then starts it again with the same env and port. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<this> {
    if (this.running) await this.kill(signal);
    return this.start();
  }

  /** Calls `listener` with every line the process writes from now on (stdout and stderr, unfiltered). */
  onLine(listener: (line: string) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** Lines the process wrote that contain `text` (e.g. a log message). */
  linesWith(text: string): string[] {
    return this.lines.filter((line) => line.includes(text));
  }

  output(): string {
    return this.lines.map((line) => `[${this.name}] ${line}`).join('\n');
  }

  private note(line: string): void {
    this.lines.push(line);
    if (this.lines.length > maxLines) this.lines.splice(0, this.lines.length - maxLines);
  }
}

/** `url` with its host replaced by `ip` (a service inside a lab host logs 127.0.0.1). */
function hostUrl(url: string, ip: string): string {
  const parsed = new URL(url);
  parsed.hostname = ip;
  return parsed.origin;
}

/**
 * `base` (this process's environment unless told) with what both services need to run on `db`
 * and `broker`, on ports the system picks (a restart keeps the port it got).
 */
export function serviceEnv(
  db: TestDatabase,
  broker: TestBroker,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  return {
    ...base,
    DATABASE_URL: db.url,
    REPLICATOR_DATABASE_URL: db.url,
    AMQP_URL: broker.url,
    PORT: '0',
    REPLICATOR_PORT: '0',
  };
}

export interface ProcessStack {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  db: TestDatabase;
  broker: TestBroker;
  catalog: ServiceProcess;
  replicator: ServiceProcess;
  /** A client for the catalog's HTTP API (the port survives restarts). */
  api: ReturnType<typeof apiClient>;
  /** Kills what still runs, then drops the database, deletes the vhost and the data directory. */
  stop(): Promise<void>;
}

/**
 * A catalog and a replicator as processes on a fresh database, vhost and data directory, both
 * started. `extraEnv` applies to both (e.g. REPLICATOR_MAX_BYTES_PER_SEC).
 */
export async function startProcessStack(
  extraEnv: NodeJS.ProcessEnv = {},
  { broker: given }: { broker?: TestBroker } = {},
): Promise<ProcessStack> {
  const db = await createTestDatabase('sf_fault');
  const broker = given ?? (await createTestBroker('sf_fault'));
  const dataDir = await mkdtemp(join(tmpdir(), 'snapferry-fault-'));
  const env: NodeJS.ProcessEnv = {
    ...serviceEnv(db, broker),
    SNAPFERRY_DATA_DIR: dataDir,
    SNAPFERRY_API_KEYS: apiKeysEnv,
    SNAPFERRY_CHUNK_SIZE: String(64 * 1024),
    LOG_LEVEL: process.env['FAULT_LOG_LEVEL'] ?? 'info',
    ...extraEnv,
  };
  const catalog = new ServiceProcess('catalog', env);
  const replicator = new ServiceProcess('replicator', env);
  const stop = async () => {
    await Promise.all(
      [catalog, replicator]
        .filter((p) => p.running)
        .map((p) => p.kill('SIGKILL').catch(() => undefined)),
    );
    await db.drop();
    await broker.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await catalog.start();
    await replicator.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, dataDir, db, broker, catalog, replicator, api: apiClient(catalog.url), stop };
}

/** Wraps a test body: when it fails, the output of every process this file spawned is printed. */
export function withProcessOutput(body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (error) {
      process.stderr.write(
        `\n===== process output (test failed) =====\n${[...spawned].map((p) => p.output()).join('\n')}\n`,
      );
      throw error;
    }
  };
}

const run = promisify(execFile);

/**
 * Runs a service's built entry point with `env` when it is expected to refuse to start (a
 * configuration error): resolves to its exit code and stderr (code 0 if it exited cleanly; a
 * service that does start is killed after `timeoutMs` and reported with code null).
 */
export async function refusedStart(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stderr: string }> {
  try {
    const { stderr } = await run(
      process.execPath,
      ['-r', './scripts/register-paths.js', entryPoints[name].main],
      { cwd: root, env, timeout: timeoutMs },
    );
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : null,
      stderr: failed.stderr ?? '',
    };
  }
}
