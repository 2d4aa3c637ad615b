import { connect, createServer, type Socket } from 'node:net';
import { listenTracked, type TcpProxy, track } from './network-lab/tcp-proxy';

/**
 * Where a COMMIT is cut: `after-commit` forwards it, waits for the server's answer (so the
 * transaction has committed) and cuts the connection instead of passing the answer on;
 * `before-commit` cuts the connection instead of forwarding it (the server rolls back).
 * Either way the client sees its COMMIT fail with a lost connection.
 */
export type CommitCut = 'after-commit' | 'before-commit';

export interface CommitCutOptions {
  /** Cut only the COMMIT of a transaction whose client messages contain all of these strings. */
  markers: readonly string[];
  where: CommitCut;
  /** Then, for this long, every connection is cut and new ones are closed at once: the database is unreachable. */
  blackoutMs?: number;
}

export interface PostgresCommitCutProxy extends TcpProxy {
  /** `databaseUrl` with this proxy's host and port instead of the server's. */
  url(databaseUrl: string): string;
  /** Arms one cut; resolves once it happened (and the blackout, if any, began). */
  cutCommit(options: CommitCutOptions): Promise<void>;
  /** Cuts made so far. */
  readonly cuts: number;
}

/** Protocol codes of the startup packets that have no type byte. */
const untypedRequests = new Set([80877103 /* SSLRequest */, 80877104 /* GSSENCRequest */]);

/**
 * A TCP proxy in front of PostgreSQL that reads the client's side of the wire protocol to find
 * COMMITs, for tests of a COMMIT whose outcome the client never learns. Client messages are
 * forwarded whole, one by one; the server's bytes pass untouched. node-postgres (and so
 * TypeORM) sends `START TRANSACTION`/`BEGIN` and `COMMIT` as simple queries ('Q').
 */
export async function startPostgresCommitCutProxy({
  target,
  listenHost = '127.0.0.1',
}: {
  target: { host: string; port: number };
  listenHost?: string;
}): Promise<PostgresCommitCutProxy> {
  const sockets = new Set<Socket>();
  let armed: (CommitCutOptions & { done: () => void }) | undefined;
  let blackoutUntil = 0;
  let cuts = 0;

  const blackout = (ms: number | undefined) => {
    if (!ms) return;
    blackoutUntil = Date.now() + ms;
    for (const socket of sockets) socket.destroy();
  };

  const server = createServer((client) => {
    if (Date.now() < blackoutUntil) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    track(sockets, client, () => upstream);
    track(sockets, upstream, () => client);
    let startup = true;
    let pending = Buffer.alloc(0);
    let transaction: string[] = [];
    /** Set once the armed COMMIT was forwarded: the server's next bytes are its answer. */
    let cutOnAnswer: (() => void) | undefined;

    const cut = (done: () => void, blackoutMs: number | undefined) => {
      cuts += 1;
      client.destroy();
      upstream.destroy();
      blackout(blackoutMs);
      done();
    };

    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    upstream.on('data', (bytes: Buffer) => {
      if (cutOnAnswer) return cutOnAnswer();
      client.write(bytes);
    });
    client.on('data', (bytes: Buffer) => {
      pending = Buffer.concat([pending, bytes]);
      for (;;) {
        const typed = !startup;
        const header = typed ? 5 : 4;
        if (pending.length < header) return;
        const length = pending.readInt32BE(typed ? 1 : 0) + (typed ? 1 : 0);
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (!typed) {
          startup = untypedRequests.has(message.readInt32BE(4));
          upstream.write(message);
          continue;
        }
        const type = String.fromCharCode(message[0]!);
        const text = message.subarray(5).toString('latin1');
        if (type === 'Q' && /^\s*(BEGIN|START TRANSACTION|ROLLBACK)\b/i.test(text))
          transaction = [];
        else if (type !== 'Q' || !/^\s*COMMIT\b/i.test(text)) transaction.push(text);
        else {
          const cutHere = armed?.markers.every((m) => transaction.some((t) => t.includes(m)));
          transaction = [];
          if (armed && cutHere) {
            const { where, blackoutMs, done } = armed;
            armed = undefined;
            if (where === 'before-commit') return cut(done, blackoutMs);
            cutOnAnswer = () => cut(done, blackoutMs);
          }
        }
        upstream.write(message);
      }
    });
  });
  const proxy = await listenTracked(server, sockets, listenHost, 0);
  return {
    ...proxy,
    url: (databaseUrl) => {
      const url = new URL(databaseUrl);
      url.hostname = proxy.host;
      url.port = String(proxy.port);
      return url.toString();
    },
    cutCommit: (options) =>
      new Promise<void>((done) => {
        armed = { ...options, done };
      }),
    get cuts() {
      return cuts;
    },
  };
}
