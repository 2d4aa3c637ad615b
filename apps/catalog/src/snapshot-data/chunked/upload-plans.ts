import { Injectable } from '@nestjs/common';
import { PostgresEventStore } from '@snapferry/event-store';
import { PlanCache } from './plan-cache';
import type { UploadPlan } from './upload-plan';
import { type PlanHeader, uploadPlansRepository as plans } from './upload-plans.repository';

/** Where a chunk stands in a snapshot's upload plan. */
export type PlannedChunk =
  { kind: 'no-plan' } | { kind: 'not-in-plan' } | { kind: 'planned'; size: number };

/**
 * The upload plans (`upload_plans`): the manifest a client declared for a snapshot that is CREATING,
 * until its upload commits. Chunk uploads ask it for each chunk's size through a small cache
 * (a chunk missing from a cached plan reloads it first: another catalog may have replaced it).
 */
@Injectable()
export class UploadPlans {
  private readonly cache = new PlanCache();

  constructor(private readonly db: PostgresEventStore) {}

  header(snapshotId: string): Promise<PlanHeader | null> {
    return plans.header(this.db, snapshotId);
  }

  /** Records the plan, replacing an earlier one of the same snapshot. */
  async save(snapshotId: string, plan: UploadPlan): Promise<void> {
    await plans.save(this.db, snapshotId, plan);
    this.cache.set(snapshotId, plan.sizes);
  }

  async chunk(snapshotId: string, digest: string): Promise<PlannedChunk> {
    const cached = this.cache.get(snapshotId)?.get(digest);
    if (cached !== undefined) return { kind: 'planned', size: cached };
    const sizes = await this.load(snapshotId);
    if (!sizes) return { kind: 'no-plan' };
    const size = sizes.get(digest);
    return size === undefined ? { kind: 'not-in-plan' } : { kind: 'planned', size };
  }

  async delete(snapshotId: string): Promise<void> {
    this.cache.delete(snapshotId);
    await plans.delete(this.db, [snapshotId]);
  }

  private async load(snapshotId: string): Promise<ReadonlyMap<string, number> | null> {
    const chunks = await plans.chunks(this.db, snapshotId);
    if (!chunks) {
      this.cache.delete(snapshotId);
      return null;
    }
    const sizes = new Map(chunks.map((c) => [c.digest, c.size]));
    this.cache.set(snapshotId, sizes);
    return sizes;
  }
}
