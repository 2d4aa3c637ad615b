import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  changeSnapshotTags,
  deleteSnapshot,
  findRegion,
  makeId,
  registerSnapshot,
  renameSnapshot,
  type RegionCatalog,
  streamIds,
} from '@snapferry/domain';
import type { RegisterSnapshotRequest, UpdateSnapshotRequest } from '@snapferry/contracts';
import { ApiError } from '../http/api-error';
import type { Caller } from '../http/api-keys';
import { CatalogTransactions } from '../transactions/catalog-transactions';
import { REGION_CATALOG } from '../tokens';
import { SnapshotQueries } from './snapshot-queries';

/** Register, rename and delete: parse, decide against the stream, append. */
@Injectable()
export class SnapshotCommands {
  constructor(
    private readonly transactions: CatalogTransactions,
    private readonly queries: SnapshotQueries,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
  ) {}

  async register(caller: Caller, body: RegisterSnapshotRequest, requestId: string) {
    if (!findRegion(this.regions, body.region))
      throw new ApiError(
        400,
        'InvalidParameterValue.Region',
        `region ${body.region} is unknown or not supported`,
      );
    const snapshotId = makeId('snap', randomBytes);
    const now = new Date().toISOString();
    const command = { ...body, snapshotId, accountId: caller.accountId, now };
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      // The base is judged in the same transaction that registers (a base deleted meanwhile is
      // judged again when the changes arrive).
      const base = body.baseSnapshotId ? (await tx.snapshot(body.baseSnapshotId)).state : undefined;
      tx.append(streamIds.snapshot(snapshotId), 0, [registerSnapshot(command, base)]);
    });
    return this.queries.get(caller, snapshotId);
  }

  async rename(caller: Caller, snapshotId: string, name: string, requestId: string) {
    return this.update(caller, snapshotId, { name }, requestId);
  }

  /** A new name and/or a new set of tags, in one append (either both change or neither). */
  async update(caller: Caller, snapshotId: string, body: UpdateSnapshotRequest, requestId: string) {
    if (body.name === undefined && body.tags === undefined)
      throw new ApiError(400, 'MissingParameter', 'give name, tags or both');
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      const { state, version } = await tx.snapshot(snapshotId);
      const command = { accountId: caller.accountId, snapshotId, now: new Date().toISOString() };
      tx.append(streamIds.snapshot(snapshotId), version, [
        ...(body.name === undefined ? [] : renameSnapshot(state, { ...command, name: body.name })),
        ...(body.tags === undefined
          ? []
          : changeSnapshotTags(state, { ...command, tags: body.tags })),
      ]);
    });
    return this.queries.get(caller, snapshotId);
  }

  async delete(caller: Caller, snapshotId: string, requestId: string): Promise<void> {
    await this.deleteAll(caller, [snapshotId], requestId);
  }

  /** Deletes several snapshots in one transaction: all of them, or (on any refusal) none. */
  async deleteAll(caller: Caller, snapshotIds: string[], requestId: string): Promise<void> {
    await this.transactions.transaction(meta(caller, requestId), async (tx) => {
      const now = new Date().toISOString();
      for (const snapshotId of [...new Set(snapshotIds)].sort()) {
        const { state, version } = await tx.snapshot(snapshotId);
        const { deleted, cancel } = deleteSnapshot(state, {
          accountId: caller.accountId,
          snapshotId,
          now,
        });
        tx.append(streamIds.snapshot(snapshotId), version, [deleted]);
        if (cancel) {
          const replication = await tx.replication(cancel.data.replicationId);
          tx.append(streamIds.replication(cancel.data.replicationId), replication.version, [
            cancel,
          ]);
        }
      }
    });
  }
}

export const meta = (caller: Caller, requestId: string) => ({
  accountId: caller.accountId,
  correlationId: requestId,
  causationId: requestId,
});
