import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { ReplicationMessage } from '@snapferry/contracts';
import type { AmqpContext } from '@snapferry/messaging';
import { ReplicationRunner } from './copy/replication-runner';

/**
 * The replicator's consumers. A request arriving through a region's dead-lettered queue
 * has exhausted its deliveries and is turned into ReplicationFailed.
 */
@Controller()
export class ReplicationController {
  constructor(@Inject(ReplicationRunner) private readonly runner: ReplicationRunner) {}

  @EventPattern('ReplicationRequested')
  onRequested(
    @Payload() message: ReplicationMessage<'ReplicationRequested'>,
    @Ctx() context: AmqpContext,
  ): Promise<void> {
    if (context.delivery.queue.endsWith('.dead-lettered'))
      return this.runner.onDeadLettered(message, Number(deathCount(context)));
    return this.runner.onRequested(message);
  }

  @EventPattern('ReplicationCancelRequested')
  onCancelRequested(
    @Payload() message: ReplicationMessage<'ReplicationCancelRequested'>,
  ): Promise<void> {
    return this.runner.onCancelRequested(message);
  }
}

function deathCount(context: AmqpContext): number {
  const deaths = (context.delivery.message.properties.headers?.['x-death'] ?? []) as {
    count?: number;
  }[];
  return deaths.reduce((n, d) => n + (d.count ?? 0), 0) || context.deliveryCount;
}
