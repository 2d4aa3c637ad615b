import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A region of the catalog with this account's quota use. */
export class RegionResponse {
  @ApiProperty({ example: 'ap-guangzhou' }) id!: string;
  @ApiProperty({ example: 'South China (Guangzhou)' }) name!: string;
  @ApiProperty({ example: 'mainland-china' }) geography!: string;
  @ApiProperty({ description: 'a finance zone' }) finance!: boolean;
  @ApiProperty() snapshotQuota!: number;
  @ApiProperty({ description: "this account's snapshots in the region (with copies in flight)" })
  snapshotsUsed!: number;
  @ApiProperty({
    example: 4 * 1024 * 1024,
    description:
      "the bytes per chunk uploads into this region are stored in (the region's chunkSize in the regions file, else SNAPFERRY_CHUNK_SIZE): an incremental upload chunked the same way shares the chunks the region already holds",
  })
  chunkSize!: number;
}

/** A refused (source geography, destination geography) pair. */
export class GeoRestrictionResponse {
  @ApiProperty({ example: 'mainland-china' }) from!: string;
  @ApiProperty({ example: 'north-america' }) to!: string;
}

export class RegionsResponse {
  @ApiProperty({ type: [RegionResponse] }) regions!: RegionResponse[];
  @ApiProperty({ type: [GeoRestrictionResponse] }) geoRestrictions!: GeoRestrictionResponse[];
  @ApiProperty({
    example: 4 * 1024 * 1024,
    description:
      "the catalog's default chunk size (SNAPFERRY_CHUNK_SIZE), for regions without a chunkSize of their own; each region's own is in regions[].chunkSize",
  })
  chunkSize!: number;
}

/** A chunk a scrub found damaged, with the snapshots whose data includes it. */
export class ScrubFindingResponse {
  @ApiProperty({ example: 'ab34…' }) digest!: string;
  @ApiProperty({ type: [String], example: ['snap-1a2b3c4d'] }) snapshots!: string[];
}

/** `POST /v1/admin/regions/{region}/scrub`: every stored chunk re-read and re-verified. */
export class ScrubReportResponse {
  @ApiProperty({ example: 'ap-guangzhou' }) region!: string;
  @ApiProperty() chunksChecked!: number;
  @ApiProperty() bytesChecked!: number;
  @ApiProperty({
    type: [ScrubFindingResponse],
    description:
      'chunks whose bytes no longer match their digest (removed, so a new upload or copy can restore them)',
  })
  corrupt!: ScrubFindingResponse[];
  @ApiProperty({
    type: [ScrubFindingResponse],
    description: "chunks a snapshot's manifest lists that the region does not hold",
  })
  missing!: ScrubFindingResponse[];
}

/** One event of the log. */
export class EventResponse {
  @ApiProperty({ example: '42', description: 'position in the global order (a decimal string)' })
  globalPosition!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'snapshot-snap-1a2b3c4d' }) streamId!: string;
  @ApiProperty() streamPosition!: number;
  @ApiProperty({ example: 'SnapshotRegistered' }) type!: string;
  @ApiProperty({ description: "the event's schema version" }) version!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: unknown;
  @ApiProperty({ type: String, format: 'date-time' }) recordedAt!: string;
}

export class EventPageResponse {
  @ApiProperty({ type: [EventResponse] }) events!: EventResponse[];
  @ApiProperty({ example: '42', description: 'pass as `after` to read the next page' })
  next!: string;
}

export class BetaResponse {
  @ApiProperty({ example: 'acct-1' }) accountId!: string;
  @ApiProperty() betaEnabled!: boolean;
}

export class RebuildResponse {
  @ApiProperty({ enum: [true] }) rebuilt!: true;
}

/** `GET /health`: ready when every dependency answers (503 otherwise, same shape). */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status!: 'ok' | 'unavailable';
  @ApiProperty({ enum: [true] }) live!: true;
  @ApiProperty() ready!: boolean;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: ['up', 'down'] },
    example: { database: 'up', broker: 'up' },
  })
  checks!: Record<string, 'up' | 'down'>;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { database: 'connect ECONNREFUSED 10.0.0.7:5432' },
    description: 'only when not ready: why each check that is down failed (passwords redacted)',
  })
  reasons?: Record<string, string>;
}

/** `GET /health/live`: the process answers. */
export class LiveResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}
