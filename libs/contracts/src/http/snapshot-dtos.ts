import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import {
  diskIdPattern,
  diskUsages,
  type DiskUsage,
  regionIdPattern,
  snapshotIdPattern,
  snapshotViewStates,
} from '@snapferry/domain';

export class RegisterSnapshotRequest {
  @ApiProperty({ example: 'ap-guangzhou' })
  @IsString()
  @MaxLength(40)
  region!: string;

  @ApiProperty({ example: 'disk-3k9d0x2a', pattern: diskIdPattern.source })
  @IsString()
  @Matches(diskIdPattern, {
    message: 'diskId must look like disk-xxxxxxxx (8 lower-case letters or digits)',
  })
  diskId!: string;

  @ApiProperty({ enum: diskUsages })
  @IsIn(diskUsages)
  diskUsage!: DiskUsage;

  @ApiProperty({
    minimum: 1,
    maximum: 65536,
    description: 'disk size; the data uploaded may not exceed it',
  })
  @IsInt()
  @Min(1)
  @Max(65536)
  diskSizeGiB!: number;

  @ApiPropertyOptional({ maxLength: 60 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  encrypted?: boolean;
}

export class RenameSnapshotRequest {
  @ApiProperty({ maxLength: 60 })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name!: string;
}

export class RequestCopiesRequest {
  @ApiProperty({
    type: [String],
    example: ['ap-singapore', 'eu-frankfurt'],
    description: 'one result per destination',
  })
  @IsArray()
  @ArrayMinSize(1, { message: 'destinationRegions must name at least one region' })
  @ArrayMaxSize(50)
  @ArrayUnique({ message: 'destinationRegions must not repeat a region' })
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  destinationRegions!: string[];

  @ApiPropertyOptional({
    maxLength: 60,
    description: 'default: Copied <source snapshot id> from <source region>',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  snapshotName?: string;

  @ApiPropertyOptional({
    maxLength: 64,
    description: 'the same token again returns the first answer and starts nothing',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[\x21-\x7e]+$/, { message: 'clientToken must be printable ASCII without spaces' })
  clientToken?: string;
}

/** `offset` and `limit` of every paged list. */
export class PageQuery {
  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class ListSnapshotsQuery extends PageQuery {
  @ApiProperty({ example: 'ap-guangzhou' })
  @IsString()
  @Matches(regionIdPattern, { message: 'region must be a region id such as ap-guangzhou' })
  region!: string;

  @ApiPropertyOptional({ enum: snapshotViewStates })
  @IsOptional()
  @IsIn(snapshotViewStates)
  state?: (typeof snapshotViewStates)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(diskIdPattern, { message: 'diskId must look like disk-xxxxxxxx' })
  diskId?: string;
}

export class ListReplicationsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(snapshotIdPattern, { message: 'sourceSnapshotId must look like snap-xxxxxxxx' })
  sourceSnapshotId?: string;
}

export class ListEventsQuery {
  @ApiPropertyOptional({ description: 'global position to read after (exclusive)', default: '0' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be a global position (a non-negative integer)' })
  after?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ example: 'ReplicationRequested' })
  @IsOptional()
  @Matches(/^[A-Z][A-Za-z]{2,60}$/, {
    message: 'type must be an event type such as ReplicationRequested',
  })
  type?: string;

  @ApiPropertyOptional({ example: 'snapshot-snap-1a2b3c4d' })
  @IsOptional()
  @Matches(/^[a-z]+-[a-z0-9-]{1,80}$/, {
    message: 'streamId must be a stream id such as snapshot-snap-1a2b3c4d',
  })
  streamId?: string;
}

export class FollowEventsQuery {
  @ApiPropertyOptional({
    description: 'global position to resume after (or the Last-Event-ID header)',
  })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be a global position (a non-negative integer)' })
  after?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[A-Z][A-Za-z]{2,60}$/, {
    message: 'type must be an event type such as ReplicationRequested',
  })
  type?: string;
}

export class AccountIdParam {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
    message: 'account id must be 1-64 letters, digits, _ . -',
  })
  id!: string;
}
