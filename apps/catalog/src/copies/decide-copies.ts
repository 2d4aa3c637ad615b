import { randomBytes } from 'node:crypto';
import {
  makeId,
  type RegionCatalog,
  type ReplicationDecision,
  type RequestReplication,
  requestReplication,
  streamIds,
} from '@snapferry/domain';
import type { SqlExecutor } from '@snapferry/event-store';
import type { CatalogTransaction } from '../store/catalog-store';
import { regionUsageRepository } from '../store/region-usage.repository';

/** One copy request, from the API or from a replication policy: the same rules for both. */
export type CopyRequest = RequestReplication;

/**
 * The account's quota rows a transaction has locked, kept exact as it accepts copies: a batch
 * that requests many copies into one region counts each of them against the quota.
 */
export class QuotaLocks {
  private readonly counts = new Map<string, number>();

  constructor(private readonly tx: SqlExecutor) {}

  /** Locks (in region order) the rows of these regions not yet locked by this transaction. */
  async lock(accountId: string, regions: readonly string[]): Promise<void> {
    const missing = [...new Set(regions)].filter((r) => !this.counts.has(key(accountId, r)));
    if (missing.length === 0) return;
    const locked = await regionUsageRepository.lock(this.tx, accountId, missing.sort());
    for (const region of missing) this.counts.set(key(accountId, region), locked.get(region) ?? 0);
  }

  count(accountId: string, region: string): number {
    return this.counts.get(key(accountId, region)) ?? 0;
  }

  added(accountId: string, region: string): void {
    this.counts.set(key(accountId, region), this.count(accountId, region) + 1);
  }
}

const key = (accountId: string, region: string) => `${accountId}\u0000${region}`;

/**
 * Decides a copy request against the account (beta), the source stream and the locked quota
 * rows, and queues its events on `tx`: `SnapshotCopyRequested` on the source (its version
 * guards "one copy at a time"), `ReplicationRequested` and the target's `SnapshotRegistered`.
 * Refusals of the whole request throw (a DomainError); each destination has its own result.
 */
export async function decideCopies(
  tx: CatalogTransaction,
  quota: QuotaLocks,
  regions: RegionCatalog,
  request: CopyRequest,
  metadata: Record<string, unknown> = {},
): Promise<ReplicationDecision> {
  const { accountId, sourceSnapshotId } = request;
  await tx.preload([streamIds.account(accountId), streamIds.snapshot(sourceSnapshotId)]);
  const account = await tx.account(accountId);
  const source = await tx.snapshot(sourceSnapshotId);
  const known = new Set(regions.regions.map((r) => r.id));
  await quota.lock(
    accountId,
    request.destinationRegions.filter((r) => known.has(r)),
  );
  const decision = requestReplication(
    {
      accountId,
      sourceSnapshotId,
      destinationRegions: request.destinationRegions,
      snapshotName: request.snapshotName,
      ...(request.deadline !== undefined ? { deadline: request.deadline } : {}),
      ...(request.policyId !== undefined ? { policyId: request.policyId } : {}),
      now: request.now,
    },
    {
      source: source.state,
      betaEnabled: account.state.betaEnabled,
      regions,
      snapshotsInRegion: (region) => quota.count(accountId, region),
      newSnapshotId: () => makeId('snap', randomBytes),
      newReplicationId: () => makeId('repl', randomBytes),
    },
  );
  const extra = { metadata };
  tx.append(
    streamIds.snapshot(sourceSnapshotId),
    source.version,
    decision.accepted.map((a) => a.copyRequested),
    extra,
  );
  for (const copy of decision.accepted) {
    quota.added(accountId, copy.targetRegistered.data.region);
    tx.append(
      streamIds.replication(copy.replicationRequested.data.replicationId),
      0,
      [copy.replicationRequested],
      extra,
    );
    tx.append(
      streamIds.snapshot(copy.targetRegistered.data.snapshotId),
      0,
      [copy.targetRegistered],
      extra,
    );
  }
  return decision;
}
