import type { PipeTransform } from '@nestjs/common';
import { replicationIdPattern, snapshotIdPattern } from '@snapferry/domain';
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
