import { connect, createServer, type Socket } from 'node:net';
import { listenTracked, type ProxyTarget, type TcpProxy, track } from './tcp-proxy';

/**
 * A plain TCP forwarder: every connection accepted on `listenHost:listenPort` (0: any free
 * port) is piped to `target`. The network lab runs one in the root namespace, on its bridge
 * address, for each service on the root namespace's loopback (PostgreSQL, RabbitMQ) that the
 * processes inside namespaces must reach; the service then sees a loopback peer.
 */
export async function startTcpForwarder({
  listenHost,
  listenPort = 0,
  target,
}: {
  listenHost: string;
  listenPort?: number;
  target: ProxyTarget;
}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(sockets, client, () => upstream);
    track(sockets, upstream, () => client);
    // pipe() half-closes the other side on 'end', so either side may finish first.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return listenTracked(server, sockets, listenHost, listenPort);
}
