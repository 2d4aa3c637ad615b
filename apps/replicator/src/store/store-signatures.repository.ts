import type { DataSource } from 'typeorm';

/** The schema every replicator of REPLICATOR_DATABASE_URL shares for the store's signatures. */
export const storeSignaturesSchema = 'replicator_store';
const table = `${storeSignaturesSchema}.signatures`;

/** `replicator_store.signatures`: the store service's accepted signatures, shared by every replicator. */
export class StoreSignaturesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a signature (hex) unless it is there already: true when this was its first use. */
  async insertNew(signature: string, expiresAt: Date): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(
        `INSERT INTO ${table} (signature, expires_at) VALUES (decode($1, 'hex'), $2)
         ON CONFLICT (signature) DO NOTHING RETURNING 1`,
        [signature, expiresAt.toISOString()],
        true,
      );
      return (result.records ?? []).length === 1;
    } finally {
      await runner.release();
    }
  }

  async deleteExpiredBefore(before: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${table} WHERE expires_at < $1`, [
      before.toISOString(),
    ]);
  }
}
