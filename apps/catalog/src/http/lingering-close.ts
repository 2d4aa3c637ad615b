import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection keeps reading what the client still sends (nginx: lingering_time). */
export const lingerMs = 2000;

const current = Symbol('snapferry.currentRequest');
type Tracked = Socket & { [current]?: IncomingMessage };

/**
 * The catalog answers some requests before it has read their bodies, and closes the connection
 * (a 429 for upload memory, a 400 for a malformed chunked body): the client is still sending.
 * Closing the socket at once makes the kernel answer the bytes still arriving with a reset, and a
 * reset can reach the client before it has read the answer, which then sees "connection reset"
 * instead of the 429 and its Retry-After. So such a connection lingers, as nginx's and Apache's
 * do: the catalog sends its answer and a FIN, reads and drops what still comes, and closes when
 * the client does or after `ms`. Connections whose request was read in full close as before.
 */
export function lingerBeforeClosing(server: Server, ms = lingerMs): void {
  server.on('request', (request: IncomingMessage) => {
    const socket = request.socket as Tracked;
    const patched = socket[current] !== undefined;
    socket[current] = request;
    if (patched) return;
    const destroySoon = socket.destroySoon.bind(socket);
    socket.destroySoon = () => {
      if (socket[current]?.complete !== false || socket.destroyed) return destroySoon();
      linger(socket, ms);
    };
  });
}

function linger(socket: Socket, ms: number): void {
  const timer = setTimeout(() => socket.destroy(), ms).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.end();
  socket.resume();
}
