import type { Pool, PoolClient } from 'pg';
import { assertRegionId } from '../ids';

/** Where a chunk object stands: being written, stored, or being deleted by GC. */
export type ChunkState = 'writing' | 'stored' | 'deleting';

/**
 * What keeps a chunk: a write in flight that needs it (`pending`), an account that sent its
 * bytes for a write in flight (`received`), or an account's committed manifest (`manifest`).
 */
export type RefKind = 'pending' | 'received' | 'manifest';

/** `ap-guangzhou` -> `store_ap_guangzhou`: one schema per bucket-backed region. */
export function indexSchemaFor(region: string): string {
  assertRegionId(region);
  return `store_${region.replace(/-/g, '_')}`;
}

/** A chunk GC has decided to delete, or is deleting. */
export interface DoomedChunk {
  digest: string;
  size: number;
}

/**
 * A bucket-backed region's chunk index, in the regions' PostgreSQL database (schema
 * `store_<region>`): which chunk objects exist (and in what state), and what references each
 * (writes in flight, accounts, manifests). S3 has no rename and no cheap "touch", so this is
 * what makes garbage collection safe against concurrent writers in any process, and what
 * answers "which chunks does this account already have here" without listing the bucket.
 *
 * The protocol (every step a short transaction; none is held across an S3 call):
 * - a writer first records its reference (`pending`, or `received` for a chunk it sends), then
 *   takes the chunk's row FOR SHARE: a row `stored` may be relied on from then on; `writing`
 *   means the object is (being) written; `deleting` means GC is removing it: wait, then write.
 * - GC takes candidate rows FOR UPDATE, then — in a new statement, so it sees every reference
 *   committed before it got the lock — keeps only those with no reference, marks them
 *   `deleting`, commits, deletes the objects, then the rows. A writer's reference is therefore
 *   either seen by GC (the chunk stays) or made after GC's lock (the writer sees `deleting`).
 */
export class ChunkIndex {
  readonly schema: string;

  constructor(
    private readonly pool: Pool,
    readonly region: string,
  ) {
    this.schema = indexSchemaFor(region);
  }

  private get chunks() {
    return `${this.schema}.chunks`;
  }
  private get refs() {
    return `${this.schema}.refs`;
  }

  /** Creates the schema and tables if missing (idempotent; concurrent starts serialise). */
  async migrate(): Promise<void> {
    await this.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext('snapferry:' || $1))`, [this.schema]);
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await db.query(`
        CREATE TABLE IF NOT EXISTS ${this.chunks} (
          digest text PRIMARY KEY,
          size integer NOT NULL,
          state text NOT NULL CHECK (state IN ('writing', 'stored', 'deleting')),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await db.query(`
        CREATE TABLE IF NOT EXISTS ${this.refs} (
          digest text NOT NULL,
          snapshot_id text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('pending', 'received', 'manifest')),
          account_id text,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (digest, snapshot_id, kind)
        )`);
      await db.query(
        `CREATE INDEX IF NOT EXISTS refs_by_snapshot ON ${this.refs} (snapshot_id, kind)`,
      );
      await db.query(
        `CREATE INDEX IF NOT EXISTS refs_by_account ON ${this.refs} (account_id, digest) WHERE account_id IS NOT NULL`,
      );
    });
  }

  async transaction<T>(work: (db: PoolClient) => Promise<T>): Promise<T> {
    const db = await this.pool.connect();
    try {
      await db.query('BEGIN');
      const result = await work(db);
      await db.query('COMMIT');
      return result;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      db.release();
    }
  }

  /** Records references (idempotent). */
  async addRefs(
    snapshotId: string,
    kind: RefKind,
    digests: readonly string[],
    accountId: string | null = null,
  ): Promise<void> {
    if (digests.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.refs} (digest, snapshot_id, kind, account_id)
       SELECT d, $2, $3, $4 FROM unnest($1::text[]) AS d
       ON CONFLICT DO NOTHING`,
      [[...new Set(digests)], snapshotId, kind, accountId],
    );
  }

  async dropRefs(snapshotId: string, kinds: readonly RefKind[]): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.refs} WHERE snapshot_id = $1 AND kind = ANY($2::text[])`,
      [snapshotId, kinds],
    );
    return rowCount ?? 0;
  }

  async snapshotsWith(kind: RefKind): Promise<string[]> {
    const { rows } = await this.pool.query<{ snapshot_id: string }>(
      `SELECT DISTINCT snapshot_id FROM ${this.refs} WHERE kind = $1 ORDER BY snapshot_id`,
      [kind],
    );
    return rows.map((r) => r.snapshot_id);
  }

  /** Per digest: whether it is stored, and whether `accountId` references it (sent it, or a manifest). */
  async standing(
    digests: readonly string[],
    accountId: string,
  ): Promise<Map<string, { stored: boolean; owned: boolean }>> {
    const { rows } = await this.pool.query<{ digest: string; stored: boolean; owned: boolean }>(
      `SELECT d AS digest,
              EXISTS (SELECT 1 FROM ${this.chunks} c WHERE c.digest = d AND c.state = 'stored') AS stored,
              EXISTS (SELECT 1 FROM ${this.refs} r
                       WHERE r.account_id = $2 AND r.digest = d AND r.kind IN ('received', 'manifest')) AS owned
         FROM unnest($1::text[]) AS d`,
      [[...new Set(digests)], accountId],
    );
    return new Map(rows.map((r) => [r.digest, { stored: r.stored, owned: r.owned }]));
  }

  /**
   * A writer about to rely on or write `digest`: records its reference, then reads the chunk's
   * state under a share lock (creating the row as `writing` if there is none). `deleting`: GC
   * is removing the object; the caller waits (`waitWhileDeleting`) and asks again.
   */
  async reserve(
    digest: string,
    size: number,
    ref: { snapshotId: string; kind: RefKind; accountId: string | null },
  ): Promise<ChunkState> {
    return this.transaction(async (db) => {
      await db.query(
        `INSERT INTO ${this.refs} (digest, snapshot_id, kind, account_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [digest, ref.snapshotId, ref.kind, ref.accountId],
      );
      await db.query(
        `INSERT INTO ${this.chunks} (digest, size, state) VALUES ($1, $2, 'writing')
         ON CONFLICT (digest) DO NOTHING`,
        [digest, size],
      );
      const { rows } = await db.query<{ state: ChunkState }>(
        `SELECT state FROM ${this.chunks} WHERE digest = $1 FOR SHARE`,
        [digest],
      );
      return rows[0]?.state ?? 'writing';
    });
  }

  /** The object is in the bucket: the chunk may be relied on. */
  async markStored(digest: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.chunks} SET state = 'stored', updated_at = now()
        WHERE digest = $1 AND state = 'writing'`,
      [digest],
    );
  }

  /**
   * Waits until GC has finished deleting `digest` (its row gone). A `deleting` row older than
   * `staleMs` belongs to a GC that died mid-way: the caller finishes that deletion itself.
   */
  async deletingSince(digest: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ age_ms: number }>(
      `SELECT (extract(epoch FROM now() - updated_at) * 1000)::float8 AS age_ms
         FROM ${this.chunks} WHERE digest = $1 AND state = 'deleting'`,
      [digest],
    );
    return rows[0]?.age_ms ?? null;
  }

  /** The chunks a manifest of `accountId` may name: stored, and sent by the account. */
  async unusable(digests: readonly string[], accountId: string): Promise<string[]> {
    const standing = await this.standing(digests, accountId);
    return [...standing].filter(([, s]) => !s.stored || !s.owned).map(([digest]) => digest);
  }

  /**
   * Commits a manifest's references: the chunks must all be stored and the account's (checked
   * under share locks, so GC cannot take one meanwhile); the write's own `received` refs go.
   * Returns the digests that are not usable (nothing is written then).
   */
  async commitManifest(
    snapshotId: string,
    accountId: string,
    digests: readonly string[],
  ): Promise<string[]> {
    const distinct = [...new Set(digests)];
    return this.transaction(async (db) => {
      const { rows } = await db.query<{ digest: string }>(
        `SELECT digest FROM ${this.chunks}
          WHERE digest = ANY($1::text[]) AND state = 'stored' ORDER BY digest FOR SHARE`,
        [distinct],
      );
      const stored = new Set(rows.map((r) => r.digest));
      const { rows: owned } = await db.query<{ digest: string }>(
        `SELECT DISTINCT digest FROM ${this.refs}
          WHERE account_id = $2 AND digest = ANY($1::text[]) AND kind IN ('received', 'manifest')`,
        [distinct, accountId],
      );
      const ownedSet = new Set(owned.map((r) => r.digest));
      const unusable = distinct.filter((d) => !stored.has(d) || !ownedSet.has(d));
      if (unusable.length > 0) return unusable;
      await db.query(
        `INSERT INTO ${this.refs} (digest, snapshot_id, kind, account_id)
         SELECT d, $2, 'manifest', $3 FROM unnest($1::text[]) AS d ON CONFLICT DO NOTHING`,
        [distinct, snapshotId, accountId],
      );
      await db.query(`DELETE FROM ${this.refs} WHERE snapshot_id = $1 AND kind = 'received'`, [
        snapshotId,
      ]);
      return [];
    });
  }

  /** Unreferenced chunks older than the cutoff (or stale deletions), a batch at a time. */
  async candidates(cutoff: Date, limit: number, after = ''): Promise<string[]> {
    const { rows } = await this.pool.query<{ digest: string }>(
      `SELECT c.digest FROM ${this.chunks} c
        WHERE c.digest > $3 AND c.updated_at <= $1
          AND NOT EXISTS (SELECT 1 FROM ${this.refs} r WHERE r.digest = c.digest)
        ORDER BY c.digest LIMIT $2`,
      [cutoff, limit, after],
    );
    return rows.map((r) => r.digest);
  }

  /**
   * GC's decision for a batch: locks the rows (skipping any a writer holds), then keeps those
   * that nothing references, as seen by a statement that starts after the locks were taken,
   * and marks them `deleting`. Returns them (to delete, objects first, then `forget`).
   */
  async doom(digests: readonly string[]): Promise<DoomedChunk[]> {
    if (digests.length === 0) return [];
    return this.transaction(async (db) => {
      const { rows: locked } = await db.query<{ digest: string; size: number }>(
        `SELECT digest, size FROM ${this.chunks}
          WHERE digest = ANY($1::text[]) ORDER BY digest FOR UPDATE SKIP LOCKED`,
        [digests],
      );
      if (locked.length === 0) return [];
      const { rows: referenced } = await db.query<{ digest: string }>(
        `SELECT DISTINCT digest FROM ${this.refs} WHERE digest = ANY($1::text[])`,
        [locked.map((r) => r.digest)],
      );
      const kept = new Set(referenced.map((r) => r.digest));
      const doomed = locked.filter((r) => !kept.has(r.digest));
      if (doomed.length > 0)
        await db.query(
          `UPDATE ${this.chunks} SET state = 'deleting', updated_at = now()
            WHERE digest = ANY($1::text[])`,
          [doomed.map((r) => r.digest)],
        );
      return doomed.map((r) => ({ digest: r.digest, size: r.size }));
    });
  }

  /** The objects are gone: their rows go. */
  async forget(digests: readonly string[]): Promise<void> {
    if (digests.length === 0) return;
    await this.pool.query(
      `DELETE FROM ${this.chunks} WHERE digest = ANY($1::text[]) AND state = 'deleting'`,
      [digests],
    );
  }

  /** A chunk found corrupt or missing by a scrub: its row goes, so the next write stores it again. */
  async drop(digest: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.chunks} WHERE digest = $1`, [digest]);
  }

  /** Every stored chunk, a batch at a time, in digest order. */
  async stored(limit: number, after = ''): Promise<DoomedChunk[]> {
    const { rows } = await this.pool.query<DoomedChunk>(
      `SELECT digest, size FROM ${this.chunks}
        WHERE state = 'stored' AND digest > $2 ORDER BY digest LIMIT $1`,
      [limit, after],
    );
    return rows;
  }

  /** Chunks committed manifests name that the index holds no stored object for. */
  async unstoredManifestChunks(): Promise<string[]> {
    const { rows } = await this.pool.query<{ digest: string }>(
      `SELECT DISTINCT r.digest FROM ${this.refs} r
        WHERE r.kind = 'manifest'
          AND NOT EXISTS (SELECT 1 FROM ${this.chunks} c WHERE c.digest = r.digest AND c.state = 'stored')
        ORDER BY 1`,
    );
    return rows.map((r) => r.digest);
  }

  /** The snapshots whose committed manifests name `digest`. */
  async manifestsNaming(digest: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ snapshot_id: string }>(
      `SELECT snapshot_id FROM ${this.refs} WHERE digest = $1 AND kind = 'manifest' ORDER BY 1`,
      [digest],
    );
    return rows.map((r) => r.snapshot_id);
  }

  /** Manifest references whose snapshot has no manifest object, older than the cutoff. */
  async dropManifestRefsExcept(keep: ReadonlySet<string>, cutoff: Date): Promise<number> {
    const { rows } = await this.pool.query<{ snapshot_id: string }>(
      `SELECT DISTINCT snapshot_id FROM ${this.refs} WHERE kind = 'manifest' AND created_at <= $1`,
      [cutoff],
    );
    const orphans = rows.map((r) => r.snapshot_id).filter((id) => !keep.has(id));
    if (orphans.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.refs} WHERE kind = 'manifest' AND snapshot_id = ANY($1::text[]) AND created_at <= $2`,
      [orphans, cutoff],
    );
    return rowCount ?? 0;
  }

  /** Drops the schema (tests). */
  async destroy(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }
}
