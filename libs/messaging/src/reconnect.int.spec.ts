import { createTestBroker, uniqueName, waitFor, type TestBroker } from '@snapferry/testing';
import type { Socket } from 'node:net';
import { closeConnectionsNamed, envelope } from '../test/support';
import {
  AmqpConnectionManager,
  AmqpConsumer,
  ConfirmPublisher,
  PublishInterruptedError,
  REPLICATION_EXCHANGE,
  declareTopology,
  replicatorQueue,
  requestRoutingKey,
  type MessagingLogger,
} from '.';

const region = 'eu-frankfurt';
jest.setTimeout(30_000);

describe('reconnecting after a lost connection', () => {
  let broker: TestBroker;
  let manager: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let consumer: AmqpConsumer;
  const connectionName = uniqueName('reconnect');
  const warnings: string[] = [];
  const logger: MessagingLogger = {
    info: () => undefined,
    warn: (_o, msg) => void warnings.push(msg),
    error: () => undefined,
  };
  const received: string[] = [];
  let setups = 0;

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_reconnect');
    manager = new AmqpConnectionManager({
      url: broker.url,
      connectionName,
      logger,
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
      setup: async (channel) => {
        setups += 1;
        await declareTopology(channel, { replicatorRegions: [region] });
      },
    });
    await manager.start();
    publisher = await new ConfirmPublisher(manager, { logger }).start();
    consumer = await new AmqpConsumer(manager, {
      queues: [replicatorQueue(region)],
      handlerFor: () => async (e) => void received.push(e.eventId),
      logger,
    }).start();
  });
  afterAll(async () => {
    await consumer.stop();
    await publisher.close();
    await manager.close();
    await broker.cleanup();
  });

  const publish = () =>
    publisher.publish(
      REPLICATION_EXCHANGE,
      requestRoutingKey(region),
      envelope('ReplicationRequested'),
    );

  it('rejects every pending publish when the socket dies, then reconnects and resumes', async () => {
    const socket = (manager.current()?.connection as unknown as { stream: Socket }).stream;
    const pending = Array.from({ length: 50 }, () => publish());
    socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })); // what a dropped link looks like
    const results = await Promise.allSettled(pending);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.reason).toBeInstanceOf(PublishInterruptedError);
    expect(manager.isConnected()).toBe(false);
    await expect(publish()).rejects.toBeInstanceOf(PublishInterruptedError); // fails fast, never hangs

    await waitFor(() => manager.isConnected() && publisher.isReady() && consumer.isConsuming(), {
      what: 'reconnect',
    });
    expect(setups).toBe(2);
    const before = received.length;
    await publish();
    await waitFor(() => received.length > before, { what: 'consumption to resume' });
  });

  it('reconnects after the broker closes the connection (rabbitmqctl close_connection)', async () => {
    expect(await closeConnectionsNamed(broker.vhost, connectionName)).toBe(1);
    await waitFor(() => !manager.isConnected() || setups === 3, { what: 'the close' });
    await waitFor(
      () => manager.isConnected() && publisher.isReady() && consumer.isConsuming() && setups === 3,
      { what: 'reconnect' },
    );
    const before = received.length;
    await publish();
    await waitFor(() => received.length > before, { what: 'consumption to resume' });
    expect(warnings).toContain('AMQP connection lost or refused; reconnecting');
  });

  it('runs a hook registered while other hooks run on a new connection', async () => {
    let inHook = () => undefined as void;
    const hookStarted = new Promise<void>((resolve) => (inHook = resolve));
    const slow = new AmqpConnectionManager({ url: broker.url, connectionName: uniqueName('slow') });
    await slow.register(async () => {
      inHook();
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    const starting = slow.start();
    try {
      await hookStarted;
      const late = await new ConfirmPublisher(slow).start(); // not connected yet: only registers
      expect(late.isReady()).toBe(false);
      await starting;
      expect(late.isReady()).toBe(true);
      await late.close();
    } finally {
      await slow.close();
    }
  });

  it('keeps retrying with backoff while the broker refuses, and start() waits for it', async () => {
    const refused = new AmqpConnectionManager({
      url: 'amqp://guest:guest@127.0.0.1:1', // nothing listens there
      connectionName: uniqueName('refused'),
      logger,
      backoff: { initialDelayMs: 10, maxDelayMs: 40 },
    });
    const started = refused.start();
    const before = warnings.length;
    await waitFor(() => warnings.length - before >= 3, { what: 'three retries' });
    expect(refused.isConnected()).toBe(false);
    await refused.close();
    await expect(started).rejects.toThrow(/closed before connecting/);
  });
});
