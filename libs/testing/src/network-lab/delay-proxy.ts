import { connect, createServer, type Socket } from 'node:net';
import { listenTracked, type ProxyTarget, type TcpProxy, track } from './tcp-proxy';

export interface DelayProxyOptions {
  listenHost: string;
  /** 0 (the default): any free port; the proxy says which. */
  listenPort?: number;
  target: ProxyTarget;
  /** How long each chunk is held, in each direction: a round trip gains 2 × delayMs. */
  delayMs: number;
  /**
   * Bytes one direction may hold before it stops reading (backpressure): the "pipe" of a long
   * fat link, so it must exceed rate × delay or the delay caps the throughput. Default 32 MiB.
   */
  maxBufferedBytes?: number;
}

/**
 * A TCP proxy that holds every chunk for `delayMs` in each direction before passing it on: a
 * long fat link where the kernel has no `netem`. Order is kept; reading pauses while a
 * direction holds `maxBufferedBytes`, so a slow reader never makes it buffer without bound.
 * The connection to the target is made at once (only data is delayed).
 */
export async function startDelayProxy({
  listenHost,
  listenPort = 0,
  target,
  delayMs,
  maxBufferedBytes = 32 * 1024 * 1024,
}: DelayProxyOptions): Promise<TcpProxy> {
  if (!(delayMs >= 0)) throw new Error(`delayMs must be ≥ 0, got ${delayMs}`);
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(sockets, client, () => upstream);
    track(sockets, upstream, () => client);
    delayedPipe(client, upstream, delayMs, maxBufferedBytes);
    delayedPipe(upstream, client, delayMs, maxBufferedBytes);
  });
  return listenTracked(server, sockets, listenHost, listenPort);
}

/** Copies `from` to `to`, each chunk `delayMs` after it arrived; ends `to` after `from` ended. */
function delayedPipe(from: Socket, to: Socket, delayMs: number, maxBufferedBytes: number): void {
  const queue: { chunk: Buffer; due: number }[] = [];
  let held = 0;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;

  const full = () => held + to.writableLength >= maxBufferedBytes;
  const resumeIfRoom = () => {
    if (from.isPaused() && !full() && !from.destroyed) from.resume();
  };
  const flush = () => {
    timer = undefined;
    if (to.destroyed) return;
    const now = Date.now();
    while (queue[0] && queue[0].due <= now) {
      const { chunk } = queue.shift()!;
      held -= chunk.length;
      to.write(chunk);
    }
    if (ended && queue.length === 0) to.end();
    resumeIfRoom();
    schedule();
  };
  const schedule = () => {
    if (timer || !queue[0]) return;
    timer = setTimeout(flush, Math.max(0, queue[0].due - Date.now()));
  };

  from.on('data', (chunk: Buffer) => {
    queue.push({ chunk, due: Date.now() + delayMs });
    held += chunk.length;
    if (full()) from.pause();
    schedule();
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
  from.on('close', () => {
    if (!ended) {
      clearTimeout(timer);
      to.destroy();
    }
  });
  to.on('drain', resumeIfRoom);
}
