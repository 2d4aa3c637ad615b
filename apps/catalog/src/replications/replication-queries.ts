import { Injectable } from '@nestjs/common';
import type { ReplicationView } from '@snapferry/domain';
import type {
  ListReplicationsQuery,
  ReplicationListResponse,
  ReplicationResponse,
} from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CatalogStore } from '../store/catalog-store';

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
  constructor(private readonly store: CatalogStore) {}

  async get(caller: Caller, replicationId: string): Promise<ReplicationResponse> {
    const rows = await this.store.query<{ doc: ReplicationView }>(
      `SELECT doc FROM replication_view WHERE replication_id = $1 AND account_id = $2`,
      [replicationId, caller.accountId],
    );
    if (!rows[0])
      throw new ApiError(
        404,
        'ResourceNotFound.Replication',
        `replication ${replicationId} does not exist`,
      );
    return toResponse(rows[0].doc);
  }

  async list(caller: Caller, query: ListReplicationsQuery): Promise<ReplicationListResponse> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const rows = await this.store.query<{ doc: ReplicationView }>(
      `SELECT doc FROM replication_view WHERE account_id = $1 AND ($2::text IS NULL OR source_snapshot_id = $2)
       ORDER BY requested_at DESC, replication_id DESC OFFSET $3 LIMIT $4`,
      [caller.accountId, query.sourceSnapshotId ?? null, offset, limit],
    );
    return { offset, limit, replications: rows.map((r) => toResponse(r.doc)) };
  }
}
