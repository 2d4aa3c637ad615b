import {
  Agent,
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

/**
 * How the proxy answers a request:
 * - `pass`: forwards it to the gateway as it came (headers untouched, so its SigV4 signature
 *   still holds) and its answer back; a gateway that is down resets the client's connection;
 * - `slow-down`: reads the body and answers `503 SlowDown`, as a throttling S3 does;
 * - `silent`: reads the body and never answers (a gateway that hangs: the client's timeout);
 * - `reset`: drops the connection at once.
 */
export type S3FaultMode = 'pass' | 'slow-down' | 'silent' | 'reset';

/** One request the proxy saw, and what became of it. */
export interface S3ProxyRequest {
  method: string;
  /** The path with its query, path-style: `/<bucket>/<key>?…`. */
  path: string;
  /** The gateway's status for a passed request (0 until it answers; -1: it failed); else the mode used. */
  outcome: number | Exclude<S3FaultMode, 'pass'>;
  at: number;
}

/** Which requests a mode applies to (every request when no filter is given). */
export type S3RequestFilter = (request: { method: string; path: string }) => boolean;

export interface S3FaultProxy {
  /** `http://127.0.0.1:<port>`: give it as the region's `objectStore.endpoint`. */
  endpoint: string;
  /** From now on, requests that `filter` picks are answered with `mode`; the others pass. */
  setMode(mode: S3FaultMode, filter?: S3RequestFilter): void;
  /** Every request so far, in arrival order. */
  readonly requests: readonly S3ProxyRequest[];
  /** Stops listening and drops every connection (the silent ones too). */
  close(): Promise<void>;
}

const slowDownBody =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
  '<Message>Please reduce your request rate.</Message></Error>';

/**
 * A tiny HTTP proxy in front of an S3 endpoint (a Ceph gateway of startCephRgw) that can throttle,
 * hang or drop requests on demand and records every request: faults an object store shows in
 * production (`503 SlowDown`, a gateway that stops answering) that a real gateway will not
 * produce on cue, and a count of what reached the store (how often each chunk was PUT).
 */
export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const requests: S3ProxyRequest[] = [];
  let mode: S3FaultMode = 'pass';
  let filter: S3RequestFilter = () => true;

  const pass = (req: IncomingMessage, res: ServerResponse, seen: S3ProxyRequest) => {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        seen.outcome = answer.statusCode ?? -1;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    // The gateway down or dying: the client sees its connection reset, as without a proxy.
    out.on('error', () => {
      seen.outcome = -1;
      res.socket?.destroy();
    });
    req.pipe(out);
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const how = filter({ method, path }) ? mode : 'pass';
    const seen: S3ProxyRequest = {
      method,
      path,
      outcome: how === 'pass' ? 0 : how,
      at: Date.now(),
    };
    requests.push(seen);
    req.on('error', () => undefined);
    if (how === 'pass') return pass(req, res, seen);
    if (how === 'reset') return void req.socket.destroy();
    req.resume();
    req.on('end', () => {
      if (how === 'silent') return; // the client's socket timeout ends it
      res
        .writeHead(503, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(slowDownBody),
        })
        .end(slowDownBody);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setMode(next, pick = () => true) {
      mode = next;
      filter = pick;
    },
    get requests() {
      return requests;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      })),
  };
}
