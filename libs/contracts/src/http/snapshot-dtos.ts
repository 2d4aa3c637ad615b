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
  ValidateNested,
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
  maxTagKeyLength,
  maxTagValueLength,
  maxTagsPerSnapshot,
  tagCharsetDescription,
} from '@snapferry/domain';

const tagRules =
  `key 1-${maxTagKeyLength} characters, value 0-${maxTagValueLength}, each of ${tagCharsetDescription}; ` +
  'keys starting with snapferry: are reserved for the service';

/**
 * One tag. The DTO checks the shape (strings, bounded); the domain checks the rules (charset,
 * reserved keys, repeats) and refuses with every field's problem.
 */
export class TagDto {
  @ApiProperty({ example: 'tier', maxLength: maxTagKeyLength })
  @IsString()
  @MaxLength(1024)
  key!: string;

  @ApiProperty({ example: 'gold', maxLength: maxTagValueLength })
  @IsString()
  @MaxLength(1024)
  value!: string;
}

const tagsProperty: { type: [typeof TagDto]; maxItems: number; description: string } = {
  type: [TagDto],
  maxItems: maxTagsPerSnapshot,
  description: `at most ${maxTagsPerSnapshot} tags (${tagRules})`,
};

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

  @ApiPropertyOptional(tagsProperty)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  tags?: TagDto[];

  @ApiPropertyOptional({
    example: 'snap-1a2b3c4d',
    pattern: snapshotIdPattern.source,
    description:
      'a NORMAL snapshot of the same account and region, on a disk no larger than this one, whose data the new one starts from: then send only the changed ranges (POST /v1/snapshots/{id}/data/changes)',
  })
  @IsOptional()
  @IsString()
  @Matches(snapshotIdPattern, {
    message: 'baseSnapshotId must look like snap-xxxxxxxx (8 lower-case letters or digits)',
  })
  baseSnapshotId?: string;
}

/** `PATCH /v1/snapshots/{id}`: a new name, a new set of tags, or both. */
export class UpdateSnapshotRequest {
  @ApiPropertyOptional({ maxLength: 60 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;

  @ApiPropertyOptional({
    ...tagsProperty,
    description: `replaces the snapshot's own tags (${tagRules}); the service's snapferry: tags stay; [] removes all`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  tags?: TagDto[];
}

/** A new name (the cloud API's ModifySnapshotAttribute). */
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

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-01-01T12:00:00Z',
    description:
      'when the copies should be NORMAL: in the future, at most a year ahead. A region starts its waiting copies earliest deadline first; a copy still running at its deadline appends ReplicationDeadlineMissed (and completes as usual)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  deadline?: string;
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

  /**
   * The `tag:<key>=<value>` parameters (repeatable; all must match), gathered by the
   * validation pipe from the query string (see `tagFilterParams`).
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(maxTagsPerSnapshot)
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  tagFilters?: TagDto[];
}

/** The query parameter prefix of a tag filter: `tag:<key>=<value>`. */
export const tagFilterPrefix = 'tag:';

/**
 * Moves `tag:<key>=<value>` parameters (a key may repeat) into `tagFilters`; the rest of
 * the query stays as it was. A `tagFilters` parameter given directly is dropped.
 */
export function gatherTagFilters(query: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  const tagFilters: { key: unknown; value: unknown }[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (name === 'tagFilters') continue;
    if (!name.startsWith(tagFilterPrefix)) {
      rest[name] = value;
      continue;
    }
    const key = name.slice(tagFilterPrefix.length);
    for (const v of Array.isArray(value) ? value : [value]) tagFilters.push({ key, value: v });
  }
  return tagFilters.length > 0 ? { ...rest, tagFilters } : rest;
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
