import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  validateSync,
  ValidateNested,
} from 'class-validator';
import { regionIdPattern, replicationIdPattern, snapshotIdPattern } from '@snapferry/domain';
import type { ReplicationMessage, ReplicationMessageType } from './replication-messages';
import { messageVersions } from './replication-messages';

class ReplicationRefSchema {
  @Matches(replicationIdPattern) replicationId!: string;
  @Matches(snapshotIdPattern) sourceSnapshotId!: string;
  @Matches(snapshotIdPattern) targetSnapshotId!: string;
  @Matches(regionIdPattern) targetRegion!: string;
}

class ReplicationRequestedSchema extends ReplicationRefSchema {
  @IsString() @IsNotEmpty() accountId!: string;
  @Matches(regionIdPattern) sourceRegion!: string;
  @IsString() @MaxLength(60) targetSnapshotName!: string;
  @IsString() diskId!: string;
  @IsInt() @Min(1) diskSizeGiB!: number;
  @IsInt() @Min(0) sizeBytes!: number;
  @IsString() sourceDigest!: string;
  @IsBoolean() encrypted!: boolean;
  @IsOptional() @IsISO8601() deadline?: string;
  @IsOptional() @IsString() @MaxLength(40) policyId?: string;
  @IsISO8601() requestedAt!: string;
}
class ReplicationCancelRequestedSchema extends ReplicationRefSchema {
  @IsString() reason!: string;
  @IsISO8601() requestedAt!: string;
}
class ReplicationStartedSchema extends ReplicationRefSchema {
  @IsInt() @Min(1) attempt!: number;
  @IsInt() @Min(0) bytesTotal!: number;
  @IsInt() @Min(0) chunksTotal!: number;
  @IsISO8601() startedAt!: string;
}
class ReplicationProgressedSchema extends ReplicationRefSchema {
  @IsInt() @Min(1) sequence!: number;
  @IsInt() @Min(0) bytesTotal!: number;
  @IsInt() @Min(0) bytesDone!: number;
  @IsInt() @Min(0) bytesTransferred!: number;
  @IsInt() @Min(0) chunksCopied!: number;
  @IsInt() @Min(0) chunksSkipped!: number;
  @IsNumber() @Min(0) @Max(100) percent!: number;
  @IsISO8601() progressedAt!: string;
}
class ReplicationVerifyingSchema extends ReplicationRefSchema {
  @IsISO8601() verifyingAt!: string;
}
class ReplicationCompletedSchema extends ReplicationRefSchema {
  @IsInt() @Min(0) sizeBytes!: number;
  /** Absent when the source was made from a base plus changed ranges (nobody read it whole). */
  @IsOptional() @Matches(/^[0-9a-f]{64}$/) digest?: string;
  @IsOptional() @Matches(/^[0-9a-f]{64}$/) root?: string;
  @IsInt() @Min(0) chunkCount!: number;
  @IsInt() @Min(0) bytesTransferred!: number;
  @IsInt() @Min(0) chunksCopied!: number;
  @IsInt() @Min(0) chunksSkipped!: number;
  @IsISO8601() completedAt!: string;
}
class ReplicationFailedSchema extends ReplicationRefSchema {
  @IsString() @IsNotEmpty() reason!: string;
  @IsISO8601() failedAt!: string;
}
class ReplicationCancelledSchema extends ReplicationRefSchema {
  @IsISO8601() cancelledAt!: string;
}

const dataSchemas: Record<ReplicationMessageType, new () => object> = {
  ReplicationRequested: ReplicationRequestedSchema,
  ReplicationCancelRequested: ReplicationCancelRequestedSchema,
  ReplicationStarted: ReplicationStartedSchema,
  ReplicationProgressed: ReplicationProgressedSchema,
  ReplicationVerifying: ReplicationVerifyingSchema,
  ReplicationCompleted: ReplicationCompletedSchema,
  ReplicationFailed: ReplicationFailedSchema,
  ReplicationCancelled: ReplicationCancelledSchema,
};

class EnvelopeSchema {
  @IsUUID() eventId!: string;
  @IsIn(Object.keys(dataSchemas)) type!: string;
  @IsInt() @Min(1) version!: number;
  @IsISO8601() occurredAt!: string;
  @IsString() @IsNotEmpty() @MaxLength(200) correlationId!: string;
  @IsObject() @ValidateNested() @Type(() => Object) data!: object;
}

export class InvalidMessageError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid message: ${problems.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}

const flatten = (errors: ReturnType<typeof validateSync>, prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${prefix}${m}`),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/** Validates a parsed message on the way in; returns it typed, or throws InvalidMessageError. */
export function parseReplicationMessage(input: unknown): ReplicationMessage {
  if (typeof input !== 'object' || input === null)
    throw new InvalidMessageError(['message must be a JSON object']);
  const envelopeErrors = validateSync(plainToInstance(EnvelopeSchema, input), {
    forbidUnknownValues: false,
  });
  if (envelopeErrors.length > 0) throw new InvalidMessageError(flatten(envelopeErrors));
  const message = input as ReplicationMessage;
  if (message.version > messageVersions[message.type])
    throw new InvalidMessageError([
      `${message.type} version ${message.version} is newer than this service knows`,
    ]);
  const dataErrors = validateSync(plainToInstance(dataSchemas[message.type], message.data), {
    whitelist: false,
    forbidUnknownValues: true,
  });
  if (dataErrors.length > 0) throw new InvalidMessageError(flatten(dataErrors, 'data.'));
  return message;
}
