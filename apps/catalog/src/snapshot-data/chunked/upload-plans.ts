import { Injectable } from '@nestjs/common';
import type { ManifestChunk } from '@snapferry/storage';
import { CatalogStore } from '../../store/catalog-store';
import { PlanCache } from './plan-cache';
import type { UploadPlan } from './upload-plan';

export type PlanHeader = Pick<UploadPlan, 'chunkSize' | 'imageDigest' | 'root'>;

/** Where a chunk stands in a snapshot's upload plan. */
export type PlannedChunk =
  { kind: 'no-plan' } | { kind: 'not-in-plan' } | { kind: 'planned'; size: number };

/**
 * The `upload_plans` table: the manifest a client declared for a snapshot that is CREATING,
 * until its upload commits. Chunk uploads ask it for each chunk's size through a small cache
 * (a chunk missing from a cached plan reloads it first: another catalog may have replaced it).
 */
@Injectable()
export class UploadPlans {
  private readonly cache = new PlanCache();

  constructor(private readonly store: CatalogStore) {}

  async header(snapshotId: string): Promise<PlanHeader | null> {
    const [row] = await this.store.query<{
      chunk_size: number;
      image_digest: string;
      root: string;
    }>(`SELECT chunk_size, image_digest, root FROM upload_plans WHERE snapshot_id = $1`, [
      snapshotId,
    ]);
    return row
      ? { chunkSize: row.chunk_size, imageDigest: row.image_digest, root: row.root }
      : null;
  }

  /** Records the plan, replacing an earlier one of the same snapshot. */
  async save(snapshotId: string, plan: UploadPlan): Promise<void> {
    await this.store.query(
      `INSERT INTO upload_plans (snapshot_id, chunk_size, image_digest, root, chunks)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (snapshot_id) DO UPDATE SET chunk_size = EXCLUDED.chunk_size,
         image_digest = EXCLUDED.image_digest, root = EXCLUDED.root, chunks = EXCLUDED.chunks,
         updated_at = now()`,
      [snapshotId, plan.chunkSize, plan.imageDigest, plan.root, JSON.stringify(plan.chunks)],
    );
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
    await deleteUploadPlans(this.store, [snapshotId]);
  }

  private async load(snapshotId: string): Promise<ReadonlyMap<string, number> | null> {
    const [row] = await this.store.query<{ chunks: ManifestChunk[] }>(
      `SELECT chunks FROM upload_plans WHERE snapshot_id = $1`,
      [snapshotId],
    );
    if (!row) {
      this.cache.delete(snapshotId);
      return null;
    }
    const sizes = new Map(row.chunks.map((c) => [c.digest, c.size]));
    this.cache.set(snapshotId, sizes);
    return sizes;
  }
}

/** Drops the plans of these snapshots (deleted ones, for the data reaper). */
export async function deleteUploadPlans(
  db: { query(text: string, params: unknown[]): Promise<unknown> },
  snapshotIds: string[],
): Promise<void> {
  await db.query(`DELETE FROM upload_plans WHERE snapshot_id = ANY($1::text[])`, [snapshotIds]);
}
