import type { SqlExecutor } from '@snapferry/event-store';
import type { ManifestChunk } from '@snapferry/storage';
import type { UploadPlan } from './upload-plan';

export type PlanHeader = Pick<UploadPlan, 'chunkSize' | 'imageDigest' | 'root'>;

/** `upload_plans`: the manifest a client declared for a snapshot that is CREATING. */
export const uploadPlansRepository = {
  async header(db: SqlExecutor, snapshotId: string): Promise<PlanHeader | null> {
    const [row] = await db.query<{ chunk_size: number; image_digest: string; root: string }>(
      `SELECT chunk_size, image_digest, root FROM upload_plans WHERE snapshot_id = $1`,
      [snapshotId],
    );
    return row
      ? { chunkSize: row.chunk_size, imageDigest: row.image_digest, root: row.root }
      : null;
  },

  /** The plan's chunks, or null when the snapshot has no plan. */
  async chunks(db: SqlExecutor, snapshotId: string): Promise<ManifestChunk[] | null> {
    const [row] = await db.query<{ chunks: ManifestChunk[] }>(
      `SELECT chunks FROM upload_plans WHERE snapshot_id = $1`,
      [snapshotId],
    );
    return row?.chunks ?? null;
  },

  /** Records the plan, replacing an earlier one of the same snapshot. */
  async save(db: SqlExecutor, snapshotId: string, plan: UploadPlan): Promise<void> {
    await db.execute(
      `INSERT INTO upload_plans (snapshot_id, chunk_size, image_digest, root, chunks)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (snapshot_id) DO UPDATE SET chunk_size = EXCLUDED.chunk_size,
         image_digest = EXCLUDED.image_digest, root = EXCLUDED.root, chunks = EXCLUDED.chunks,
         updated_at = now()`,
      [snapshotId, plan.chunkSize, plan.imageDigest, plan.root, JSON.stringify(plan.chunks)],
    );
  },

  /** Drops the plans of these snapshots (an upload that committed; deleted ones, for the data reaper). */
  async delete(db: SqlExecutor, snapshotIds: string[]): Promise<void> {
    await db.execute(`DELETE FROM upload_plans WHERE snapshot_id = ANY($1::text[])`, [snapshotIds]);
  },
};
