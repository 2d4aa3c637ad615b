import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { startDelayProxy } from './delay-proxy';
import { type TcpProxy } from './tcp-proxy';

/** Every socket the test servers accepted: server.close() leaves them open (one never reads). */
const accepted = new Set<Socket>();

/** A server on loopback; `onConnection` decides what it does. */
async function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted.add(socket);
    socket.on('close', () => accepted.delete(socket));
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
const portOf = (server: Server) => (server.address() as { port: number }).port;

describe('delay proxy', () => {
  const servers: Server[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    for (const socket of accepted) socket.destroy();
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  async function proxyTo(server: Server, delayMs: number, maxBufferedBytes?: number) {
    servers.push(server);
    const proxy = await startDelayProxy({
      listenHost: '127.0.0.1',
      target: { host: '127.0.0.1', port: portOf(server) },
      delayMs,
      ...(maxBufferedBytes ? { maxBufferedBytes } : {}),
    });
    proxies.push(proxy);
    return proxy;
  }

  it('adds delayMs in each direction: a round trip takes 2 × delayMs more', async () => {
    const proxy = await proxyTo(await listen((socket) => socket.pipe(socket)), 100);
    const client = connect(proxy.port, proxy.host);
    await once(client, 'connect');
    const started = Date.now();
    client.write('ping');
    const [echo] = (await once(client, 'data')) as [Buffer];
    const elapsed = Date.now() - started;
    client.destroy();
    expect(echo.toString()).toBe('ping');
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(600);
  });

  it('passes every byte in order and keeps half-closes (the client ends, the server answers)', async () => {
    const proxy = await proxyTo(
      await listen((socket) => {
        const hash = createHash('sha256');
        socket.on('data', (chunk: Buffer) => hash.update(chunk));
        socket.on('end', () => socket.end(hash.digest('hex')));
      }),
      20,
    );
    const payload = randomBytes(16 * 1024 * 1024);
    const client = connect({ port: proxy.port, host: proxy.host, allowHalfOpen: true });
    client.end(payload);
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await once(client, 'end');
    expect(answer).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('stops reading while a direction holds maxBufferedBytes (a reader that does not read)', async () => {
    const proxy = await proxyTo(await listen((socket) => socket.pause()), 10, 1024 * 1024);
    const client = connect(proxy.port, proxy.host);
    await once(client, 'connect');
    const total = 64 * 1024 * 1024;
    client.write(Buffer.alloc(total));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Without backpressure the proxy would have taken all 64 MiB; it holds at most 1 MiB
    // plus what the kernel's socket buffers on both legs absorb.
    expect(client.writableLength).toBeGreaterThan(24 * 1024 * 1024);
    client.destroy();
  });

  it('close() ends the connections it carries', async () => {
    const proxy = await proxyTo(await listen((socket) => socket.pipe(socket)), 0);
    const client = connect(proxy.port, proxy.host);
    await once(client, 'connect');
    const closed = once(client, 'close');
    await proxy.close();
    await closed;
    await expect(proxy.close()).resolves.toBeUndefined();
  });
});
