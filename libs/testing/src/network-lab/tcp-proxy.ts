import { type Server, type Socket } from 'node:net';

/** Where a proxy sends what it accepts. */
export interface ProxyTarget {
  host: string;
  port: number;
}

/** A listening TCP proxy: where it listens, and how to stop it (closing every connection). */
export interface TcpProxy {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on `listenHost:listenPort` with `server` and tracks every socket it opens, so that
 * `close()` ends the connections too (a bare server.close() waits for them forever).
 */
export async function listenTracked(
  server: Server,
  sockets: Set<Socket>,
  listenHost: string,
  listenPort: number,
): Promise<TcpProxy> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const { port } = server.address() as { port: number };
  let closed: Promise<void> | undefined;
  return {
    host: listenHost,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** Remembers `socket` in `sockets` until it closes; an error destroys its partner. */
export function track(sockets: Set<Socket>, socket: Socket, partner: () => Socket | undefined) {
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {
    socket.destroy();
    partner()?.destroy();
  });
}
