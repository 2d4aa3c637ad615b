import type { AmqpConnectionManager, ConfirmPublisher } from '@snapferry/messaging';

/** The broker check of both services: up, or an error that says which part is down and why. */
export async function brokerReady(
  amqp: AmqpConnectionManager,
  publisher: ConfirmPublisher,
): Promise<boolean> {
  if (!amqp.isConnected())
    throw new Error(`no connection to RabbitMQ: ${amqp.whyDisconnected() ?? 'not connected yet'}`);
  if (!publisher.isReady()) throw new Error("the publisher's confirm channel is not open");
  return true;
}
