import { type DynamicModule, Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import {
  AmqpConnectionManager,
  type AmqpConnectionOptions,
  ConfirmPublisher,
} from '@snapferry/messaging';

/**
 * The service's one AMQP connection (it reconnects and declares the topology on every
 * connect) and its confirm publisher, for any provider to inject. Both close on
 * `onApplicationShutdown`, after every worker stopped in `beforeApplicationShutdown`.
 */
@Global()
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  constructor(
    private readonly amqp: AmqpConnectionManager,
    private readonly publisher: ConfirmPublisher,
  ) {}

  static register(options: AmqpConnectionOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: AmqpConnectionManager,
          // Resolves once connected with the topology declared (it retries until then).
          useFactory: async () => {
            const amqp = new AmqpConnectionManager(options);
            await amqp.start();
            return amqp;
          },
        },
        {
          provide: ConfirmPublisher,
          useFactory: (amqp: AmqpConnectionManager) =>
            new ConfirmPublisher(amqp, options.logger ? { logger: options.logger } : {}).start(),
          inject: [AmqpConnectionManager],
        },
      ],
      exports: [AmqpConnectionManager, ConfirmPublisher],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
    await this.amqp.close();
  }
}
