import { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';
import { createTestBroker, type TestBroker, uniqueName, waitFor } from '@snapferry/testing';
import { brokerReady } from './broker-ready';

/** The readiness check of the broker against a real RabbitMQ and a port where nothing listens. */
describe('brokerReady', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await createTestBroker('sf_ready');
  });
  afterAll(() => broker?.cleanup());

  it('is up when connected with an open confirm channel', async () => {
    const amqp = new AmqpConnectionManager({ url: broker.url, connectionName: uniqueName('up') });
    const publisher = await new ConfirmPublisher(amqp).start();
    await amqp.start();
    try {
      await waitFor(() => publisher.isReady(), { what: 'the confirm channel' });
      await expect(brokerReady(amqp, publisher)).resolves.toBe(true);
    } finally {
      await amqp.close();
    }
  });

  it('says why it is not connected: the last error of the connection', async () => {
    const amqp = new AmqpConnectionManager({
      url: 'amqp://guest:guest@127.0.0.1:1', // nothing listens there
      connectionName: uniqueName('refused'),
      backoff: { initialDelayMs: 10, maxDelayMs: 40 },
    });
    const publisher = await new ConfirmPublisher(amqp).start();
    const started = amqp.start();
    started.catch(() => undefined);
    try {
      await waitFor(() => amqp.whyDisconnected() !== undefined, { what: 'a refused attempt' });
      await expect(brokerReady(amqp, publisher)).rejects.toThrow(
        /^no connection to RabbitMQ: .*ECONNREFUSED 127\.0\.0\.1:1/,
      );
    } finally {
      await amqp.close();
    }
  });
});
