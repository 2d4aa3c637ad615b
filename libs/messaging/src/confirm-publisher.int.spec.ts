import { connect, type Channel, type ChannelModel } from 'amqplib';
import { createTestBroker, uniqueName, type TestBroker } from '@snapferry/testing';
import { envelope } from '../test/support';
import {
  AmqpConnectionManager,
  ConfirmPublisher,
  PublishInterruptedError,
  REPLICATION_EXCHANGE,
  UnroutableMessageError,
  declareTopology,
  replicatorQueue,
  requestRoutingKey,
} from '.';

describe('ConfirmPublisher', () => {
  let broker: TestBroker;
  let manager: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let inspector: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_publisher');
    manager = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName('publisher'),
      setup: (ch) => declareTopology(ch, { replicatorRegions: ['eu-frankfurt'] }),
    });
    await manager.start();
    publisher = await new ConfirmPublisher(manager).start();
    inspector = await connect(broker.url);
    channel = await inspector.createChannel();
  });
  afterAll(async () => {
    await publisher.close();
    await manager.close();
    await inspector.close();
    await broker.cleanup();
  });

  it('resolves on the broker ack and delivers the envelope with its properties', async () => {
    const sent = envelope('ReplicationRequested', { replicationId: 'r1' });
    await publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey('eu-frankfurt'), sent);

    const received = await channel.get(replicatorQueue('eu-frankfurt'), { noAck: true });
    expect(received).not.toBe(false);
    if (!received) return;
    expect(JSON.parse(received.content.toString())).toEqual(sent);
    expect(received.properties).toMatchObject({
      messageId: sent.eventId,
      correlationId: sent.correlationId,
      contentType: 'application/json',
      type: 'ReplicationRequested',
      deliveryMode: 2,
    });
    expect(typeof received.properties.timestamp).toBe('number');
  });

  it('sends a batch of publishes in a few socket writes, not one per message', async () => {
    const queue = replicatorQueue('eu-frankfurt');
    await channel.purgeQueue(queue);
    // Every write that reaches the socket (one frame, or a corked bunch) calls _write or _writev once.
    const socket = (manager.current() as unknown as { connection: { stream: object } }).connection
      .stream as Record<'_write' | '_writev', (...args: unknown[]) => void>;
    let writes = 0;
    const count = (name: '_write' | '_writev') => {
      const original = socket[name];
      socket[name] = (...args: unknown[]) => {
        writes += 1;
        original.apply(socket, args);
      };
      return () => (socket[name] = original);
    };
    const restore = [count('_write'), count('_writev')];
    try {
      await publisher.publishBatch(
        Array.from({ length: 200 }, (_, i) => ({
          exchange: REPLICATION_EXCHANGE,
          routingKey: requestRoutingKey('eu-frankfurt'),
          envelope: envelope('ReplicationRequested', { replicationId: `batch-${i}` }),
        })),
      );
    } finally {
      for (const undo of restore) undo();
    }
    expect(writes).toBeLessThan(10); // one per message without coalescing
    expect((await channel.checkQueue(queue)).messageCount).toBe(200);
    await channel.purgeQueue(queue);
  });

  it('rejects with UnroutableMessageError when no queue is bound to the key', async () => {
    const sent = envelope('ReplicationRequested');
    const publishing = publisher.publish(
      REPLICATION_EXCHANGE,
      requestRoutingKey('ap-nowhere'),
      sent,
    );
    await expect(publishing).rejects.toBeInstanceOf(UnroutableMessageError);
    await expect(publishing).rejects.toMatchObject({
      messageId: sent.eventId,
      routingKey: 'replication.requested.ap-nowhere',
    });
    // and the channel is still good
    await publisher.publish(
      REPLICATION_EXCHANGE,
      requestRoutingKey('eu-frankfurt'),
      envelope('ReplicationRequested'),
    );
  });

  it('tells routed from unroutable messages within one batch', async () => {
    const routed = envelope('ReplicationRequested');
    const lost = envelope('ReplicationRequested');
    const results = await Promise.allSettled([
      publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey('eu-frankfurt'), routed),
      publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey('ap-nowhere'), lost),
      publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey('eu-frankfurt'), routed), // same id, published twice
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expect(
      publisher.publishBatch([
        {
          exchange: REPLICATION_EXCHANGE,
          routingKey: requestRoutingKey('eu-frankfurt'),
          envelope: envelope('ReplicationRequested'),
        },
        {
          exchange: REPLICATION_EXCHANGE,
          routingKey: requestRoutingKey('ap-nowhere'),
          envelope: envelope('ReplicationRequested'),
        },
      ]),
    ).rejects.toBeInstanceOf(UnroutableMessageError);
    await channel.purgeQueue(replicatorQueue('eu-frankfurt'));
  });

  it('publishes a large batch through backpressure and confirms every message', async () => {
    const big = 'x'.repeat(64 * 1024);
    const requests = Array.from({ length: 300 }, () => ({
      exchange: REPLICATION_EXCHANGE,
      routingKey: requestRoutingKey('eu-frankfurt'),
      envelope: envelope('ReplicationRequested', { big }),
    }));
    const small = await new ConfirmPublisher(manager, { highWaterMark: 4 }).start();
    await small.publishBatch(requests);
    expect(small.backpressureWaits).toBeGreaterThan(0);
    await small.close();
    expect((await channel.checkQueue(replicatorQueue('eu-frankfurt'))).messageCount).toBe(300);
    await channel.purgeQueue(replicatorQueue('eu-frankfurt'));
  });

  it('rejects on an unknown exchange and opens a new channel for the next publish', async () => {
    await expect(
      publisher.publish('snapferry.no-such-exchange', 'x', envelope('T')),
    ).rejects.toBeInstanceOf(PublishInterruptedError);
    await waitUntil(() => publisher.isReady());
    await publisher.publish(
      REPLICATION_EXCHANGE,
      requestRoutingKey('eu-frankfurt'),
      envelope('ReplicationRequested'),
    );
  });
});

async function waitUntil(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(probe()).toBe(true);
}
