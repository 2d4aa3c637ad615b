import { Module } from '@nestjs/common';
import { ProjectionWatermark } from './projection-watermark';
import { Projector } from './projector';
import { ReplicationStateGauge } from './replication-state-gauge';

/**
 * The read models (the snapshot, replication and policy views) and what follows them: the
 * Projector, which projects the log into them from the application's bootstrap until its
 * shutdown begins, the ProjectionWatermark that commands wait on to read their own writes, and
 * the `snapferry_replications{state}` gauge. Exports the watermark (for the catalog's store)
 * and the projector (for the admin's rebuild).
 */
@Module({
  providers: [ProjectionWatermark, Projector, ReplicationStateGauge],
  exports: [ProjectionWatermark, Projector],
})
export class ReadModelsModule {}
