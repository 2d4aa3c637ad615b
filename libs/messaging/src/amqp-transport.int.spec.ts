import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { connect, type ChannelModel } from 'amqplib';
import { createTestBroker, uniqueName, waitFor, type TestBroker } from '@snapferry/testing';
import { envelope } from '../test/support';
import {
  AmqpConnectionManager,
  AmqpContext,
  AmqpTransport,
  ConfirmPublisher,
  DEAD_LETTER_QUEUE,
  REPLICATION_EXCHANGE,
  declareTopology,
  replicatorQueue,
  requestRoutingKey,
  type MessageEnvelope,
} from '.';

jest.setTimeout(30_000);
const region = 'ap-singapore';

interface Seen {
  envelope: MessageEnvelope;
  deliveryCount: number;
  routingKey: string;
  messageId: string | undefined;
}
const seen: Seen[] = [];
let failuresLeft = 0;

@Controller()
class RecordingController {
  @EventPattern('ReplicationRequested')
  async onRequested(
    @Payload() message: MessageEnvelope,
    @Ctx() context: AmqpContext,
  ): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5)); // as if committing to a database
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      throw new Error('transient failure');
    }
    seen.push({
      envelope: message,
      deliveryCount: context.deliveryCount,
      routingKey: context.routingKey,
      messageId: context.messageId,
    });
  }
}

@Module({ controllers: [RecordingController] })
class RecordingModule {}

describe('AmqpTransport (Nest custom transport)', () => {
  let broker: TestBroker;
  let manager: AmqpConnectionManager;
  let publisher: ConfirmPublisher;
  let app: INestMicroservice;
  let inspector: ChannelModel;

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_nest');
    manager = new AmqpConnectionManager({
      url: broker.url,
      connectionName: uniqueName('nest'),
      setup: (channel) =>
        declareTopology(channel, { replicatorRegions: [region], deliveryLimit: 2 }),
    });
    app = await NestFactory.createMicroservice(RecordingModule, {
      strategy: new AmqpTransport(manager, { queues: [replicatorQueue(region)], prefetch: 5 }),
      logger: false,
    });
    await app.listen();
    publisher = await new ConfirmPublisher(manager).start();
    inspector = await connect(broker.url);
  });
  afterAll(async () => {
    await app.close();
    await publisher.close();
    await manager.close();
    await inspector.close();
    await broker.cleanup();
  });

  const publish = (sent: MessageEnvelope) =>
    publisher.publish(REPLICATION_EXCHANGE, requestRoutingKey(region), sent);

  it('dispatches by message type to the @EventPattern handler with an AmqpContext', async () => {
    const sent = envelope('ReplicationRequested', { replicationId: 'r1' });
    await publish(sent);
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({
      envelope: sent,
      deliveryCount: 0,
      routingKey: requestRoutingKey(region),
      messageId: sent.eventId,
    });
  });

  it('requeues when the handler throws and acks once it succeeds', async () => {
    seen.length = 0;
    failuresLeft = 1;
    const sent = envelope('ReplicationRequested');
    await publish(sent);
    await waitFor(() => seen.length === 1);
    expect(seen[0]?.deliveryCount).toBe(1);
    const channel = await inspector.createChannel();
    await waitFor(
      async () => (await channel.checkQueue(replicatorQueue(region))).messageCount === 0,
    );
    await channel.close();
  });

  it('dead-letters a type no handler knows', async () => {
    await publish(envelope('ReplicationSomethingUnknown'));
    const channel = await inspector.createChannel();
    const dead = await waitFor(
      async () => (await channel.get(DEAD_LETTER_QUEUE, { noAck: true })) || undefined,
    );
    expect(dead.properties.type).toBe('ReplicationSomethingUnknown');
    await channel.close();
  });
});
