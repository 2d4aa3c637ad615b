import { Injectable } from '@nestjs/common';
import type { ReplicationView } from '@snapferry/domain';
import type {
  ListReplicationsQuery,
  ReplicationListResponse,
  ReplicationResponse,
} from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { PostgresEventStore } from '@snapferry/event-store';
import { replicationViewsRepository as views } from '../read-models/replication-views.repository';

/**
 * A copy job as the API shows it. `bytesCopied` is what the target region holds of the image
 * so far (transferred or already there from an earlier snapshot of the disk);
 * `bytesTransferred` is what actually crossed between the regions.
 */
const toResponse = ({ accountId: _accountId, ...view }: ReplicationView): ReplicationResponse => ({
  ...view,
  bytesCopied: view.bytesDone,
  percent: Math.floor(view.percent),
  deadline: view.deadline ?? null,
  deadlineMissedAt: view.deadlineMissedAt ?? null,
});

@Injectable()
export class ReplicationQueries {
  constructor(private readonly db: PostgresEventStore) {}

  async get(caller: Caller, replicationId: string): Promise<ReplicationResponse> {
    const doc = await views.find(this.db, caller.accountId, replicationId);
    if (!doc)
      throw new ApiError(
        404,
        'ResourceNotFound.Replication',
        `replication ${replicationId} does not exist`,
      );
    return toResponse(doc);
  }

  async list(caller: Caller, query: ListReplicationsQuery): Promise<ReplicationListResponse> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const docs = await views.list(this.db, caller.accountId, {
      sourceSnapshotId: query.sourceSnapshotId ?? null,
      offset,
      limit,
    });
    return { offset, limit, replications: docs.map(toResponse) };
  }
}
