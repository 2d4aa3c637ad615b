import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { ReplicationMessage } from '@snapferry/contracts';
import { replicationProgressEventTypes } from '@snapferry/domain';
import type { AmqpContext } from '@snapferry/messaging';
import { LOGGER } from '../tokens';
import { RecordProgress } from './record-progress';

/**
 * The replicators' progress events, from the catalog's own queue. Returning acks (after the
 * commit); throwing requeues (the quorum queue dead-letters at its delivery limit).
 */
@Controller()
export class ProgressController {
  constructor(
    private readonly record: RecordProgress,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern([...replicationProgressEventTypes])
  async onProgress(
    @Payload() message: ReplicationMessage,
    @Ctx() context: AmqpContext,
  ): Promise<void> {
    const outcome = await this.record.handle(message);
    this.logger.debug(
      {
        correlationId: message.correlationId,
        eventId: message.eventId,
        type: message.type,
        outcome,
        deliveryCount: context.deliveryCount,
      },
      'replication event ingested',
    );
  }
}
