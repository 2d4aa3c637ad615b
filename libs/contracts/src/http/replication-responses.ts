import { ApiProperty } from '@nestjs/swagger';
import { replicationStatuses, type ReplicationStatus } from '@snapferry/domain';

const timestamp = { type: String, format: 'date-time', example: '2025-01-01T10:00:00.000Z' };

/** A copy job: state, bytes and chunks, attempts, error. */
export class ReplicationResponse {
  @ApiProperty({ example: 'repl-4n8x2c5v' }) replicationId!: string;
  @ApiProperty({ example: 'snap-1a2b3c4d' }) sourceSnapshotId!: string;
  @ApiProperty({ example: 'ap-guangzhou' }) sourceRegion!: string;
  @ApiProperty({ example: 'snap-7h2k9q1m' }) targetSnapshotId!: string;
  @ApiProperty({ example: 'ap-shanghai' }) targetRegion!: string;
  @ApiProperty({ enum: replicationStatuses }) state!: ReplicationStatus;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
  @ApiProperty() bytesTotal!: number;
  @ApiProperty({ description: 'what the target region holds of the image so far' })
  bytesDone!: number;
  @ApiProperty({ description: 'the same as bytesDone' }) bytesCopied!: number;
  @ApiProperty({ description: 'what actually crossed between the regions' })
  bytesTransferred!: number;
  @ApiProperty() chunksCopied!: number;
  @ApiProperty({ description: 'chunks the target region already held' }) chunksSkipped!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({
    ...timestamp,
    nullable: true,
    description: 'when the copy should be NORMAL by (null: no deadline)',
  })
  deadline!: string | null;
  @ApiProperty({
    ...timestamp,
    nullable: true,
    description:
      'when the copy was found still in flight at its deadline (ReplicationDeadlineMissed)',
  })
  deadlineMissedAt!: string | null;
  @ApiProperty(timestamp) requestedAt!: string;
  @ApiProperty({ ...timestamp, nullable: true }) startedAt!: string | null;
  @ApiProperty({ ...timestamp, nullable: true }) endedAt!: string | null;
  @ApiProperty(timestamp) updatedAt!: string;
}

export class ReplicationListResponse {
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
  @ApiProperty({ type: [ReplicationResponse] }) replications!: ReplicationResponse[];
}
