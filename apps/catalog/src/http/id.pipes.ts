import type { PipeTransform } from '@nestjs/common';
import {
  digestPattern,
  policyIdPattern,
  replicationIdPattern,
  snapshotIdPattern,
} from '@snapferry/domain';
import { ApiError } from './api-error';

/** An id that cannot exist answers 404 like an unknown one (and never reaches the store). */
export class SnapshotIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!snapshotIdPattern.test(value))
      throw new ApiError(
        404,
        'ResourceNotFound.Snapshot',
        `snapshot ${value.slice(0, 40)} does not exist`,
      );
    return value;
  }
}

export class ReplicationIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!replicationIdPattern.test(value))
      throw new ApiError(
        404,
        'ResourceNotFound.Replication',
        `replication ${value.slice(0, 40)} does not exist`,
      );
    return value;
  }
}

export class PolicyIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!policyIdPattern.test(value))
      throw new ApiError(
        404,
        'ResourceNotFound.Policy',
        `policy ${value.slice(0, 40)} does not exist`,
      );
    return value;
  }
}

/** A chunk digest in a path: a SHA-256 in lower-case hex, or 400 before anything is read. */
export class DigestPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!digestPattern.test(value))
      throw new ApiError(
        400,
        'InvalidParameter.Digest',
        `${value.slice(0, 80)} is not a chunk digest (a SHA-256 in lower-case hex, 64 digits)`,
      );
    return value;
  }
}
