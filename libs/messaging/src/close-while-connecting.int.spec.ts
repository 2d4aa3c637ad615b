import { createTestBroker, waitFor, type TestBroker } from '@snapferry/testing';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { AmqpConnectionManager, ConnectionClosedError } from '.';

jest.setTimeout(30_000);

/**
 * A TCP gate in front of the broker: it accepts connections but passes nothing on until
 * opened, so a connect can be caught half-way.
 */
async function startGate(target: URL) {
  const accepted: Socket[] = [];
  let open = false;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((client) => {
    accepted.push(client);
    const forward = () => {
      const upstream = connect(Number(target.port || 5672), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      upstream.on('error', () => client.destroy());
    };
    client.on('error', () => client.destroy());
    if (open) forward();
    else waiting.push(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    accepted,
    open: () => {
      open = true;
      for (const forward of waiting.splice(0)) forward();
    },
    close: async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('closing the connection manager while it connects', () => {
  let broker: TestBroker;
  let gate: Awaited<ReturnType<typeof startGate>>;

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_close_connecting');
  });
  afterAll(async () => {
    await gate?.close();
    await broker.cleanup();
  });

  it('waits for the connect under way, which closes the connection it opened', async () => {
    const target = new URL(broker.url);
    gate = await startGate(target);
    const url = new URL(broker.url);
    url.hostname = '127.0.0.1';
    url.port = String(gate.port);
    const manager = new AmqpConnectionManager({ url: url.toString(), connectionName: 'closing' });

    const started = manager.start();
    const startFailure = expect(started).rejects.toBeInstanceOf(ConnectionClosedError);
    await waitFor(() => gate.accepted.length > 0, {
      intervalMs: 10,
      what: 'a connect at the gate',
    });

    let closed = false;
    const closing = manager.close().then(() => void (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Before the fix close() resolved here, and the connect went on to open a connection.
    expect(closed).toBe(false);

    gate.open();
    await closing;
    await startFailure;
    const [socket] = gate.accepted;
    // The gate's end of that connection closes too: nothing of the manager is left open.
    if (!socket!.destroyed) await once(socket!, 'close');
    expect(manager.isConnected()).toBe(false);
    expect(gate.accepted).toHaveLength(1);
  });
});
