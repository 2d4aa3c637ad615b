import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  copyingToRegionStates,
  type CopyingToRegion,
  diskUsages,
  type DiskUsage,
  ErrorCodes,
  type ErrorCode,
  snapshotViewStates,
  type SnapshotViewState,
} from '@snapferry/domain';

const timestamp = { type: String, format: 'date-time', example: '2025-01-01T10:00:00.000Z' };

/** One copy in flight from this snapshot, as the source lists it. */
export class CopyingToRegionResponse {
  @ApiProperty({ example: 'ap-shanghai' }) region!: string;
  @ApiProperty({ example: 'snap-7h2k9q1m', description: 'the target snapshot' })
  snapshotId!: string;
  @ApiProperty({ example: 'repl-4n8x2c5v' }) replicationId!: string;
  @ApiProperty({ enum: copyingToRegionStates }) state!: CopyingToRegion['state'];
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
  @ApiProperty({ ...timestamp, nullable: true, description: 'when the copy should be NORMAL by' })
  deadline!: string | null;
  @ApiProperty({ ...timestamp, nullable: true, description: 'when it was found late' })
  deadlineMissedAt!: string | null;
}

/** One tag of a snapshot. */
export class TagResponse {
  @ApiProperty({ example: 'tier' }) key!: string;
  @ApiProperty({ example: 'gold' }) value!: string;
}

/** A snapshot: the source side (`copyingToRegions`) and, for a copy, the target side. */
export class SnapshotResponse {
  @ApiProperty({ example: 'snap-1a2b3c4d' }) snapshotId!: string;
  @ApiProperty({ example: 'ap-guangzhou' }) region!: string;
  @ApiProperty({ example: 'disk-3k9d0x2a' }) diskId!: string;
  @ApiProperty({ enum: diskUsages }) diskUsage!: DiskUsage;
  @ApiProperty() diskSizeGiB!: number;
  @ApiProperty() name!: string;
  @ApiProperty() encrypted!: boolean;
  @ApiProperty({
    type: [TagResponse],
    description:
      "the snapshot's tags; a copy also carries snapferry:source-snapshot, snapferry:source-region (and snapferry:policy when a policy made it)",
  })
  tags!: TagResponse[];
  @ApiProperty({ enum: snapshotViewStates }) state!: SnapshotViewState;
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'the image size, once stored' })
  sizeBytes!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'SHA-256 of the whole image (hex), where the whole image was read: a full upload (what `sha256sum disk.img` prints). Null for a snapshot made from a base plus changed ranges (nobody read it whole)',
  })
  digest!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "the manifest root, the data's identity: SHA-256 over each chunk's 32-byte digest and its 64-bit big-endian size, in order. Equal roots, equal bytes: compare this after a copy",
  })
  root!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the snapshot whose data this one started from (changed ranges only were sent)',
  })
  baseSnapshotId!: string | null;
  @ApiProperty({ description: 'a copy arriving from (or arrived from) another region' })
  copyFromRemote!: boolean;
  @ApiProperty({ type: String, nullable: true }) sourceSnapshotId!: string | null;
  @ApiProperty({ type: String, nullable: true }) sourceRegion!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the copy that makes this snapshot' })
  replicationId!: string | null;
  @ApiProperty({
    ...timestamp,
    nullable: true,
    description: 'a copy arriving: when it should be NORMAL by (null: no deadline)',
  })
  deadline!: string | null;
  @ApiProperty({
    ...timestamp,
    nullable: true,
    description: 'a copy arriving: when it was found still in flight at its deadline',
  })
  deadlineMissedAt!: string | null;
  @ApiProperty({ type: [CopyingToRegionResponse] }) copyingToRegions!: CopyingToRegionResponse[];
  @ApiProperty({ type: String, nullable: true }) failureReason!: string | null;
  @ApiProperty(timestamp) createdAt!: string;
  @ApiProperty(timestamp) updatedAt!: string;
}

/** One region's list, newest first. */
export class SnapshotListResponse {
  @ApiProperty({ example: 'ap-guangzhou' }) region!: string;
  @ApiProperty({ description: 'how many match, in all pages' }) total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
  @ApiProperty({ type: [SnapshotResponse] }) snapshots!: SnapshotResponse[];
}

/** The outcome for one destination of a copy request. */
export class DestinationResultResponse {
  @ApiProperty({ example: 'ap-singapore' }) destinationRegion!: string;
  @ApiPropertyOptional({ example: 'snap-7h2k9q1m', description: 'the new target (on Success)' })
  snapshotId?: string;
  @ApiPropertyOptional({ example: 'repl-4n8x2c5v', description: 'the copy job (on Success)' })
  replicationId?: string;
  @ApiProperty({
    enum: ['Success', ...ErrorCodes],
    description: '`Success` or the error code for this destination',
  })
  code!: 'Success' | ErrorCode;
  @ApiProperty() message!: string;
}

/** `POST /v1/snapshots/{id}/copies`: one result per destination (partial success is normal). */
export class CopiesResponse {
  @ApiProperty({ example: 'snap-1a2b3c4d' }) sourceSnapshotId!: string;
  @ApiProperty({ type: [DestinationResultResponse] }) results!: DestinationResultResponse[];
}
