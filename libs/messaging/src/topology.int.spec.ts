import { connect, type ChannelModel } from 'amqplib';
import { createTestBroker, type TestBroker } from '@snapferry/testing';
import { listQueues } from '../test/support';
import {
  CATALOG_PROGRESS_QUEUE,
  DEAD_LETTER_QUEUE,
  REPLICATION_EXCHANGE,
  cancelRoutingKey,
  declareTopology,
  progressRoutingKey,
  replicatorCancelQueue,
  replicatorDeadLetteredQueue,
  replicatorQueue,
  requestRoutingKey,
} from '.';

describe('declareTopology', () => {
  let broker: TestBroker;
  let connection: ChannelModel;

  beforeAll(async () => {
    broker = await createTestBroker('sf_msg_topology');
    connection = await connect(broker.url);
  });
  afterAll(async () => {
    await connection.close();
    await broker.cleanup();
  });

  it('declares exchanges and quorum queues idempotently', async () => {
    const options = {
      catalogProgress: true,
      replicatorRegions: ['ap-guangzhou', 'eu-frankfurt'],
      deliveryLimit: 5,
    };
    const channel = await connection.createChannel();
    await declareTopology(channel, options);
    await declareTopology(channel, options); // a restarted service declares again

    const queues = await listQueues(broker.vhost);
    const names = queues.map((q) => q.name).sort();
    expect(names).toEqual(
      [
        CATALOG_PROGRESS_QUEUE,
        DEAD_LETTER_QUEUE,
        replicatorQueue('ap-guangzhou'),
        replicatorCancelQueue('ap-guangzhou'),
        replicatorDeadLetteredQueue('ap-guangzhou'),
        replicatorQueue('eu-frankfurt'),
        replicatorCancelQueue('eu-frankfurt'),
        replicatorDeadLetteredQueue('eu-frankfurt'),
      ].sort(),
    );
    expect(queues.every((q) => q.type === 'quorum')).toBe(true);
    const args = JSON.stringify(
      queues.find((q) => q.name === replicatorQueue('ap-guangzhou'))?.arguments,
    );
    for (const expected of [
      'x-delivery-limit',
      'snapferry.dead-letter',
      'at-least-once',
      'reject-publish',
    ])
      expect(args).toContain(expected);
    await channel.close();
  });

  it('routes requests to the region queue and progress to the catalog queue', async () => {
    const channel = await connection.createChannel();
    channel.publish(REPLICATION_EXCHANGE, requestRoutingKey('eu-frankfurt'), Buffer.from('{}'));
    channel.publish(
      REPLICATION_EXCHANGE,
      progressRoutingKey('ReplicationProgressed', 'eu-frankfurt'),
      Buffer.from('{}'),
    );
    const request = await waitForMessage(channel, replicatorQueue('eu-frankfurt'));
    const progress = await waitForMessage(channel, CATALOG_PROGRESS_QUEUE);
    expect(request.fields.routingKey).toBe('replication.requested.eu-frankfurt');
    expect(progress.fields.routingKey).toBe('replication.progressed.eu-frankfurt');
    expect((await channel.checkQueue(replicatorQueue('ap-guangzhou'))).messageCount).toBe(0);
    await channel.close();
  });

  it('routes cancels to their own queue, also on a broker an earlier version set up', async () => {
    const channel = await connection.createChannel();
    // What earlier versions bound: cancels into the request queue.
    await channel.bindQueue(
      replicatorQueue('eu-frankfurt'),
      REPLICATION_EXCHANGE,
      cancelRoutingKey('eu-frankfurt'),
    );
    await declareTopology(channel, { replicatorRegions: ['eu-frankfurt'], deliveryLimit: 5 });
    channel.publish(REPLICATION_EXCHANGE, cancelRoutingKey('eu-frankfurt'), Buffer.from('{}'));
    const cancel = await waitForMessage(channel, replicatorCancelQueue('eu-frankfurt'));
    expect(cancel.fields.routingKey).toBe('replication.cancel.eu-frankfurt');
    expect((await channel.checkQueue(replicatorQueue('eu-frankfurt'))).messageCount).toBe(0);
    await channel.close();
  });

  it('refuses a redeclare with another delivery limit (all services must agree)', async () => {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await expect(
      declareTopology(channel, { replicatorRegions: ['ap-guangzhou'], deliveryLimit: 7 }),
    ).rejects.toThrow(/PRECONDITION_FAILED/);
  });
});

async function waitForMessage(
  channel: Awaited<ReturnType<ChannelModel['createChannel']>>,
  queue: string,
) {
  for (let i = 0; i < 100; i++) {
    const message = await channel.get(queue, { noAck: true });
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no message on ${queue}`);
}
