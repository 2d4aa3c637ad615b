import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from './api-client';
import { ApiError, UnreachableError } from './errors';
import { httpFetch } from './http-transport';

/** What the server saw of each request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

async function serve(
  answer: (request: IncomingMessage, response: ServerResponse, seen: Seen[]) => void,
): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((q, r) => answer(q, r, seen));
  server.keepAliveTimeout = 60_000; // an idle client socket outlives any test below
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, seen };
}

/** Records the whole request, then answers it as JSON. */
const recordAndAnswer =
  (status: number, body: unknown) =>
  (request: IncomingMessage, response: ServerResponse, seen: Seen[]) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => {
      seen.push({
        method: request.method!,
        url: request.url!,
        headers: request.headers,
        body: Buffer.concat(pieces),
      });
      response.writeHead(status, { 'content-type': 'application/json', 'x-answer': 'yes' });
      response.end(JSON.stringify(body));
    });
  };

async function* pieces(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, i);
}

describe('httpFetch (the CLI over node:http)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map((s) => {
        s.closeAllConnections();
        return new Promise((done) => s.close(done));
      }),
    );
  });

  async function client(answer: Parameters<typeof serve>[0]) {
    const started = await serve(answer);
    servers.push(started.server);
    const api = new ApiClient({ url: started.url, apiKey: 'key-1' }, httpFetch());
    return { ...started, api };
  }

  // First: no other test's sockets are closing meanwhile.
  it('an idle kept-alive connection does not keep the process alive', async () => {
    const { api, server } = await client(recordAndAnswer(200, { ok: 1 }));
    server.on('connection', (socket) => socket.unref()); // only the client's side is counted
    const sockets = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    const answer = api.get('/v1/regions');
    await new Promise((done) => setImmediate(done));
    const during = sockets(); // in use, the socket holds the process until answered
    expect(during).toBeGreaterThan(0);
    await expect(answer).resolves.toEqual({ ok: 1 });
    await new Promise((done) => setTimeout(done, 20)); // back in the agent's pool
    expect(sockets()).toBe(during - 1);
    // and it is reused by the next request (one connection for both)
    let connections = 0;
    server.on('connection', () => connections++);
    await api.get('/v1/regions');
    expect(connections).toBe(0);
  });

  it('sends JSON with the key and reads JSON, headers and status', async () => {
    const { api, seen } = await client(recordAndAnswer(201, { ok: 1 }));
    const answer = await api.json<{ ok: number }>('POST', '/v1/things', {
      json: { a: 'b' },
      query: { x: 1, y: undefined },
    });
    expect(answer).toEqual({ ok: 1 });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/things?x=1' });
    expect(seen[0]!.headers).toMatchObject({
      authorization: 'Bearer key-1',
      'content-type': 'application/json',
      'content-length': '9',
    });
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({ a: 'b' });
    const response = await api.send('GET', '/v1/things');
    expect(response.headers.get('X-Answer')).toBe('yes');
    expect(await response.json()).toEqual({ ok: 1 });
  });

  it('streams a body chunked when its length is unknown, and with its length when given', async () => {
    const { api, seen } = await client(recordAndAnswer(200, {}));
    await api.json('POST', '/chunked', { stream: { body: pieces(40, 65536) } });
    await api.json('POST', '/sized', { stream: { body: pieces(3, 1000), length: 3000 } });
    expect(seen[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(seen[0]!.body.length).toBe(40 * 65536);
    expect(seen[0]!.body[39 * 65536]).toBe(39);
    expect(seen[1]!.headers['content-length']).toBe('3000');
    expect(seen[1]!.body.length).toBe(3000);
  });

  it("gives the server's early refusal while the body is still being sent, and stops sending", async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((done) => (closed = done));
    const { api } = await client((request, response) => {
      // Refuses at the first bytes, keeps the connection open and reads whatever still comes.
      request.once('data', () => {
        response.writeHead(413, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'TooLarge', message: 'no room' } }));
      });
      request.resume();
      request.socket.once('close', () => closed());
    });
    let stopped!: () => void;
    const sendingStopped = new Promise<void>((done) => (stopped = done));
    const endless = (async function* () {
      try {
        for (;;) yield Buffer.alloc(1024 * 1024);
      } finally {
        stopped();
      }
    })();
    const error: unknown = await api
      .json('POST', '/big', { stream: { body: endless } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, code: 'TooLarge', detail: 'no room' });
    // The endless body is no longer read, and the client closed the connection.
    await Promise.all([sendingStopped, connectionClosed]);
  }, 10_000);

  it('a body that fails while it is sent fails the request with its own error', async () => {
    const { api } = await client(recordAndAnswer(200, {}));
    const cut = new Error('the stream ends inside a record');
    for (const delayMs of [0, 20]) {
      // A first piece on the wire, then the source fails (a file cut short, a stream that does not parse).
      const failing = (async function* () {
        yield Buffer.alloc(65536);
        await new Promise((done) => setTimeout(done, delayMs));
        throw cut;
      })();
      const error: unknown = await api
        .json('POST', '/changes', { stream: { body: failing } })
        .catch((e: unknown) => e);
      expect(error).toBe(cut);
    }
    // The client is still usable.
    await expect(api.json('POST', '/after', { json: {} })).resolves.toEqual({});
  }, 10_000);

  it('answers 204 with no body, and an error body as ApiError', async () => {
    const { api } = await client((request, response) => {
      if (request.url === '/gone') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'NotFound', message: 'nope' } }));
      } else {
        response.writeHead(204);
        response.end();
      }
    });
    await expect(api.json('DELETE', '/thing')).resolves.toBeUndefined();
    await expect(api.get('/gone')).rejects.toMatchObject({ status: 404, code: 'NotFound' });
  });

  it('a refused connection, or a body cut off, is UnreachableError', async () => {
    const { api, server } = await client((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.write(Buffer.alloc(1000));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    const response = await api.send('GET', '/data');
    const read = (async () => {
      for await (const piece of response.body!) void piece;
    })();
    await expect(read).rejects.toThrow();
    const port = (server.address() as AddressInfo).port;
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    servers.splice(servers.indexOf(server), 1);
    const refused = new ApiClient({ url: `http://127.0.0.1:${port}`, apiKey: 'k' }, httpFetch());
    const error: unknown = await refused.get('/v1/regions').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).message).toContain('ECONNREFUSED');
  });
});
