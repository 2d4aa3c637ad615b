import { connect, type Channel, type ChannelModel } from 'amqplib';
import { createTestBroker, uniqueName, waitFor, type TestBroker } from '@snapferry/testing';
import { envelope } from '../test/support';
import {
  AmqpConnectionManager,
  AmqpConsumer,
  ConfirmPublisher,
  DEAD_LETTER_QUEUE,
  REPLICATION_EXCHANGE,
  declareTopology,
  replicatorDeadLetteredQueue,
  replicatorQueue,
  requestRoutingKey,
  type Delivery,
  type DeliveryOutcome,
  type EnvelopeHandler,
  type MessageEnvelope,
} from '.';

const deliveryLimit = 3;
jest.setTimeout(30_000);

describe('AmqpConsumer', () => {
  let broker: TestBroker;
  let manager: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let inspector: ChannelModel;
  let channel: Channel;
  let region = '';

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_consumer');
    manager = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName('consumer'),
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

  // A fresh region per test: its own queues, so no test sees another's messages.
  beforeEach(async () => {
    region = uniqueName('r').replace(/_/g, '-');
    const ch = await inspector.createChannel();
    await declareTopology(ch, { replicatorRegions: [region], deliveryLimit });
    await ch.close();
  });

  const publish = (sent: MessageEnvelope) =>
    publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey(region), sent);

  async function consume(
    handler: EnvelopeHandler,
    options: { prefetch?: number; validate?: (e: MessageEnvelope) => void } = {},
  ) {
    const outcomes: Array<{ outcome: DeliveryOutcome; delivery: Delivery }> = [];
    const consumer = await new AmqpConsumer(manager, {
      queues: [replicatorQueue(region)],
      handlerFor: (type) => (type === 'ReplicationRequested' ? handler : undefined),
      onOutcome: (outcome, delivery) => outcomes.push({ outcome, delivery }),
      ...options,
    }).start();
    return { consumer, outcomes };
  }

  const deadLettered = async (queue: string) => {
    const message = await channel.get(queue, { noAck: true });
    return message || undefined;
  };

  it('acks after the handler resolves and passes the delivery details', async () => {
    const seen: Array<{ envelope: MessageEnvelope; delivery: Delivery }> = [];
    const { consumer } = await consume(
      async (e, d) => void seen.push({ envelope: e, delivery: d }),
    );
    const sent = envelope('ReplicationRequested', { n: 1 });
    await publish(sent);
    await waitFor(() => seen.length === 1);
    expect(seen[0]?.envelope).toEqual(sent);
    expect(seen[0]?.delivery).toMatchObject({
      messageId: sent.eventId,
      routingKey: requestRoutingKey(region),
      deliveryCount: 0,
      redelivered: false,
    });
    await consumer.stop();
    expect((await channel.checkQueue(replicatorQueue(region))).messageCount).toBe(0);
  });

  it('requeues a failing message until the delivery limit, then dead-letters it', async () => {
    const attempts: number[] = [];
    const { consumer } = await consume(async (_e, d) => {
      attempts.push(d.deliveryCount);
      throw new Error('disk full');
    });
    const sent = envelope('ReplicationRequested');
    await publish(sent);
    const inOperatorsQueue = await waitFor(() => deadLettered(DEAD_LETTER_QUEUE), {
      what: 'the dead-lettered message',
    });
    const forReplicator = await waitFor(() => deadLettered(replicatorDeadLetteredQueue(region)), {
      what: 'the region dead-lettered copy',
    });
    await consumer.stop();

    expect(inOperatorsQueue.properties.messageId).toBe(sent.eventId);
    expect(forReplicator.properties.messageId).toBe(sent.eventId);
    // RabbitMQ 3.10 dead-letters once a message has been returned more than x-delivery-limit times.
    expect(attempts).toEqual([0, 1, 2, 3]);
    expect(attempts).toHaveLength(deliveryLimit + 1);
    const death = forReplicator.properties.headers?.['x-death']?.[0];
    expect(death).toMatchObject({ queue: replicatorQueue(region), reason: 'delivery_limit' });
  });

  it('dead-letters a poison message at once and goes on with the next at prefetch 1', async () => {
    const handled: string[] = [];
    const { consumer, outcomes } = await consume(async (e) => void handled.push(e.eventId), {
      prefetch: 1,
    });
    const confirming = await inspector.createConfirmChannel();
    confirming.publish(REPLICATION_EXCHANGE, requestRoutingKey(region), Buffer.from('{not json'), {
      messageId: 'poison',
    });
    await confirming.waitForConfirms(); // queued first
    await confirming.close();
    const good = envelope('ReplicationRequested');
    await publish(good);
    await waitFor(() => outcomes.length === 2, { what: 'both messages' });
    expect(handled).toEqual([good.eventId]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['dead-letter', 'ack']);
    const dead = await waitFor(() => deadLettered(DEAD_LETTER_QUEUE));
    expect(dead.content.toString()).toBe('{not json');
    await consumer.stop();
  });

  it('dead-letters messages that fail validation or have no handler', async () => {
    const handled: string[] = [];
    const { consumer, outcomes } = await consume(async (e) => void handled.push(e.eventId), {
      validate: (e) => {
        if (typeof (e.data as { replicationId?: unknown }).replicationId !== 'string')
          throw new Error('replicationId is required');
      },
    });
    await publish(envelope('ReplicationRequested', {}));
    await publish(envelope('SomethingElse', { replicationId: 'r1' }));
    const valid = envelope('ReplicationRequested', { replicationId: 'r1' });
    await publish(valid);
    await waitFor(() => outcomes.length === 3);
    expect(outcomes.map((o) => o.outcome)).toEqual(['dead-letter', 'dead-letter', 'ack']);
    expect(handled).toEqual([valid.eventId]);
    await consumer.stop();
    await waitFor(async () => (await channel.checkQueue(DEAD_LETTER_QUEUE)).messageCount === 2);
    await channel.purgeQueue(DEAD_LETTER_QUEUE);
  });

  it('delivers the same message id twice: deduplication is the handler’s job', async () => {
    const ids: Array<string | undefined> = [];
    const { consumer } = await consume(async (_e, d) => void ids.push(d.messageId));
    const sent = envelope('ReplicationRequested');
    await publish(sent);
    await publish(sent);
    await waitFor(() => ids.length === 2);
    expect(ids).toEqual([sent.eventId, sent.eventId]);
    await consumer.stop();
  });

  it('lets a handler in flight finish and ack when stopped', async () => {
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { consumer, outcomes } = await consume(() => gate);
    await publish(envelope('ReplicationRequested'));
    await waitFor(
      async () =>
        (await channel.checkQueue(replicatorQueue(region))).messageCount === 0 || undefined,
    );
    const stopping = consumer.stop();
    release();
    await stopping;
    expect(outcomes.map((o) => o.outcome)).toEqual(['ack']);
    expect((await channel.checkQueue(replicatorQueue(region))).messageCount).toBe(0);
  });
});
