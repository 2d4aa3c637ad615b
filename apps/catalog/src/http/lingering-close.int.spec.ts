import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { lingerBeforeClosing } from './lingering-close';

const MiB = 1024 * 1024;

/**
 * A server that refuses every upload before reading a byte of it, and closes the connection,
 * lingering `lingerMs` (none: 0).
 */
function refusingServer(lingerMs: number): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(429, { 'retry-after': '1', connection: 'close' });
    response.end('{"error":{"code":"RequestLimitExceeded.UploadMemory"}}');
  });
  if (lingerMs > 0) lingerBeforeClosing(server, lingerMs);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Outcome {
  status: number;
  /** The socket error the client saw, before or after the answer (EPIPE, ECONNRESET). */
  error?: string;
}

/**
 * An upload that declares 32 MiB and sends 16 MiB, more than the kernel buffers, so the client
 * is still writing when the answer comes (as a client is whose upload is refused on a loaded
 * catalog). Settles half a second after the answer, with any error seen until then.
 */
function upload(server: Server): Promise<Outcome> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const outcome: Outcome = { status: 0 };
    const settle = () => setTimeout(() => resolve(outcome), 500);
    const request = httpRequest(
      { host: '127.0.0.1', port, method: 'PUT', path: '/', agent: false },
      (response) => {
        response.resume();
        response.on('end', () => {
          outcome.status = response.statusCode ?? 0;
          settle();
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      outcome.error ??= error.code;
      if (outcome.status === 0) settle();
    });
    request.setHeader('content-length', 32 * MiB);
    request.write(Buffer.alloc(16 * MiB, 7));
  });
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('a connection closed before its request body was read', () => {
  it('lingers, so every client reads the answer instead of a connection reset', async () => {
    // Long enough for this process to finish sending 20 × 16 MiB however loaded the machine is
    // (with 2 s, a loaded CI worker still writing when the lingering ended saw EPIPE): what is
    // tested here is that lingering lets the clients read the answer; its end, below.
    const server = await refusingServer(10_000);
    try {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => upload(server)));
      expect(outcomes.filter((o) => o.status !== 429 || o.error !== undefined)).toEqual([]);
    } finally {
      await close(server);
    }
  });

  it('without lingering, clients still sending get their writes reset (the race the test above guards)', async () => {
    const server = await refusingServer(0);
    try {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => upload(server)));
      expect(outcomes.filter((o) => o.error !== undefined).length).toBeGreaterThan(0);
    } finally {
      await close(server);
    }
  });

  it('closes a lingering connection after the lingering time when the client never closes', async () => {
    const server = await refusingServer(2000);
    const { port } = server.address() as AddressInfo;
    const serverSideClosed = new Promise<number>((resolve) =>
      server.once('connection', (socket: Socket) => {
        const accepted = Date.now();
        socket.once('close', () => resolve(Date.now() - accepted));
      }),
    );
    // A client that sends half its body, then nothing, and keeps its side open after the answer.
    let text = '';
    const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
      client.write(`PUT / HTTP/1.1\r\nhost: x\r\ncontent-length: ${4 * MiB}\r\n\r\n`);
      client.write(Buffer.alloc(2 * MiB, 7));
    });
    client.on('data', (part: Buffer) => (text += part.toString('latin1')));
    client.on('error', () => undefined);
    try {
      const closedAfter = await serverSideClosed;
      expect(text.startsWith('HTTP/1.1 429')).toBe(true);
      expect(closedAfter).toBeGreaterThanOrEqual(1900);
      expect(closedAfter).toBeLessThan(5000);
    } finally {
      client.destroy();
      await close(server);
    }
  });
});
