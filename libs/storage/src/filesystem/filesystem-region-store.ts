import { randomBytes } from 'node:crypto';
import { statSync, utimesSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertBytesHashTo } from '../chunking';
import { MissingChunkError, StorageFullError } from '../errors';
import {
  assertAccountId,
  assertDigest,
  assertRegionId,
  assertSnapshotId,
  isDigest,
  isSnapshotId,
} from '../ids';
import {
  fsyncDir,
  isErrno,
  isTempFile,
  linkIntoPlace,
  listDir,
  readWhole,
  removeFile,
  TEMP_MARKER,
  writeFileAtomic,
} from './atomic-file';
import { AccountReferences } from './account-references';
import { parseManifest, validateManifest, type Manifest } from '../manifest';
import type { ChunkInfo, ChunkWriter, GetChunkOptions, LocalRegionStore } from '../region-store';
import { collectGarbage } from './collect-garbage';
import type { GcOptions, GcStats, ScrubReport } from '../region-maintenance';
import { scrubRegion } from './scrub';
import { forEachMetadata } from './metadata-batches';

/**
 * The default backend, rooted at `<dataDir>/<region>/`:
 *   chunks/ab/abcdef…      content-addressed chunk files (SHA-256 hex)
 *   manifests/<id>.json    one per complete snapshot
 *   pending/<id>.digests   chunks an in-flight upload or copy needs (one digest a line)
 *   references/, received/ which chunks each account references (AccountReferences)
 */
export class FilesystemRegionStore implements LocalRegionStore {
  readonly root: string;
  private readonly madeDirs = new Set<string>();
  /** Chunk directories that gained an entry not yet fsynced: synced before the next manifest. */
  private readonly unsyncedDirs = new Set<string>();
  private readonly dirSyncs = new Set<Promise<void>>();
  private readonly references: AccountReferences;
  /** Chunk writes running in this process, by account and digest. */
  private readonly writing = new Map<string, Promise<boolean>>();

  constructor(
    dataDir: string,
    readonly region: string,
  ) {
    assertRegionId(region);
    this.root = join(resolve(dataDir), region);
    this.references = new AccountReferences(this.root);
  }

  private chunkPath(digest: string): string {
    assertDigest(digest);
    return join(this.root, 'chunks', digest.slice(0, 2), digest);
  }
  private manifestPath(snapshotId: string): string {
    assertSnapshotId(snapshotId);
    return join(this.root, 'manifests', `${snapshotId}.json`);
  }
  private pendingPath(snapshotId: string): string {
    assertSnapshotId(snapshotId);
    return join(this.root, 'pending', `${snapshotId}.digests`);
  }

  /** Runs a write; a full disk (or quota) becomes a StorageFullError that says what was being written. */
  private async whenFull<T>(what: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isErrno(error, 'ENOSPC', 'EDQUOT')) throw new StorageFullError(this.region, what);
      throw error;
    }
  }

  /** mkdir -p, fsyncing the parent of a new directory so the entry survives a crash. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined) await fsyncDir(join(first, '..'));
    this.madeDirs.add(dir);
  }

  async hasChunk(digest: string): Promise<boolean> {
    return (await this.statChunk(digest)) !== null;
  }

  async missingChunks(digests: readonly string[], accountId: string): Promise<string[]> {
    const distinct = [...new Set(digests)];
    const held = await this.references.held(accountId);
    // In synchronous batches while the inode cache answers, else many at once in the pool
    // (forEachMetadata): a 1 TiB manifest's 262,144 digests are answered in seconds.
    const now = new Date();
    const present = await forEachMetadata(
      distinct,
      (digest) => touchedSync(this.chunkPath(digest), now),
      (digest) => this.touchChunk(digest),
    );
    return distinct.filter((digest, i) => !present[i] || !held.has(digest));
  }

  async putChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    await assertBytesHashTo(digest, bytes, this.region);
    return this.putVerifiedChunk(digest, bytes, writer);
  }

  async putVerifiedChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    // The same chunk of the same account twice at once (a client's retry): the second waits,
    // then finds it referenced, so exactly one answer says "new".
    const key = `${writer.accountId}/${digest}`;
    for (let running = this.writing.get(key); running; running = this.writing.get(key))
      await running.catch(() => undefined);
    const writing = this.writeReferenced(digest, bytes, writer);
    this.writing.set(key, writing);
    try {
      return await writing;
    } finally {
      if (this.writing.get(key) === writing) this.writing.delete(key);
    }
  }

  private async writeReferenced(
    digest: string,
    bytes: Uint8Array,
    writer: ChunkWriter,
  ): Promise<boolean> {
    // A chunk this call wrote into the region was no account's before; only one already here
    // may be the writer's, and only then are its reference lists read (every list it has).
    const created = await this.storeChunk(digest, bytes);
    const heldBefore = !created && (await this.references.held(writer.accountId)).has(digest);
    // The bytes were verified: from now on the account references the chunk.
    await this.whenFull(`chunk ${digest}`, () => this.references.recordReceived(writer, [digest]));
    return !heldBefore;
  }

  /** Writes the chunk once per region (another account's copy is the same bytes); true if new here. */
  private async storeChunk(digest: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.chunkPath(digest);
    if (await this.touchChunk(digest)) return false;
    const dir = join(path, '..');
    const created = await this.whenFull(`chunk ${digest}`, async () => {
      await this.ensureDir(dir);
      // The chunk's bytes are fsynced now; its name with the other names before the next
      // manifest (one directory fsync for many chunks, not one per chunk).
      return writeFileAtomic(path, bytes, { replace: false, syncDir: false });
    });
    if (created) this.unsyncedDirs.add(dir);
    // Lost a race with another writer: refresh the winner's age for the GC grace period.
    if (!created) await this.touchChunk(digest);
    return created;
  }

  async getChunk(
    digest: string,
    { verify = true, buffers }: GetChunkOptions = {},
  ): Promise<Buffer> {
    const path = this.chunkPath(digest);
    let bytes: Buffer;
    try {
      bytes = await readWhole(path, buffers);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new MissingChunkError({ digest, region: this.region });
      throw error;
    }
    if (!verify) return bytes;
    await assertBytesHashTo(digest, bytes, this.region);
    return bytes;
  }

  async touchChunk(digest: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.chunkPath(digest), now, now);
      return true;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  async statChunk(digest: string): Promise<ChunkInfo | null> {
    try {
      const info = await stat(this.chunkPath(digest));
      return { digest, size: info.size, mtimeMs: info.mtimeMs };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }

  async deleteChunk(digest: string): Promise<boolean> {
    return removeFile(this.chunkPath(digest));
  }

  async deleteChunkIfOlder(digest: string, cutoffMs: number): Promise<number | null> {
    const path = this.chunkPath(digest);
    // Move it out of the way first: from here on a touch fails (ENOENT) and its writer writes
    // the chunk again. A touch that landed before the move shows in the moved file's mtime.
    const grave = `${path}${TEMP_MARKER}gc-${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, grave);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
    const info = await stat(grave);
    if (info.mtimeMs > cutoffMs) {
      // Touched since it was listed: put it back (unless a writer already wrote it anew).
      await linkIntoPlace(grave, path);
      await removeFile(grave);
      return null;
    }
    await removeFile(grave);
    return info.size;
  }

  async *listChunks(): AsyncIterable<ChunkInfo> {
    const chunksDir = join(this.root, 'chunks');
    for (const prefix of await listDir(chunksDir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await listDir(join(chunksDir, prefix))) {
        if (!isDigest(name) || !name.startsWith(prefix)) continue;
        const info = await this.statChunk(name);
        if (info) yield info;
      }
    }
  }

  async putManifest(manifest: Manifest): Promise<void> {
    const path = this.manifestPath(manifest.snapshotId);
    validateManifest(manifest, manifest.snapshotId);
    const { accountId } = manifest;
    assertAccountId(accountId);
    const digests = [...new Set(manifest.chunks.map((c) => c.digest))];
    const held = await this.references.held(accountId);
    const present = await forEachMetadata(
      digests,
      (digest) => statSync(this.chunkPath(digest), { throwIfNoEntry: false }) !== undefined,
      (digest) => this.hasChunk(digest),
    );
    // Absent, or sent only by other accounts: the writer must send those bytes itself.
    const missing = digests.filter((digest, i) => !present[i] || !held.has(digest));
    if (missing.length > 0)
      throw new MissingChunkError(
        { digest: missing[0]!, region: this.region, snapshotId: manifest.snapshotId },
        missing,
      );
    // The names of the chunks written here become durable before the manifest that needs them.
    // (Chunks another process wrote are its to sync before its own manifest; on a journaling
    // filesystem the manifest's fsync below commits their entries too.)
    await this.syncChunkDirs();
    await this.whenFull(`the manifest of ${manifest.snapshotId}`, async () => {
      await this.references.commit(accountId, manifest.snapshotId, digests);
      await this.ensureDir(join(path, '..'));
      await writeFileAtomic(path, JSON.stringify(manifest), { replace: true });
    });
    await this.references.forgetReceived(manifest.snapshotId);
  }

  /**
   * Fsyncs the chunk directories written since the last manifest, and waits for those another
   * manifest took a moment ago and is still syncing (one of our chunks may be in them).
   */
  private async syncChunkDirs(): Promise<void> {
    const dirs = [...this.unsyncedDirs];
    this.unsyncedDirs.clear();
    const others = [...this.dirSyncs];
    const ours = Promise.all(dirs.map(fsyncDir)).then(() => undefined);
    this.dirSyncs.add(ours);
    try {
      await Promise.all([ours, ...others]);
    } catch (error) {
      for (const dir of dirs) this.unsyncedDirs.add(dir); // synced again next time
      throw error;
    } finally {
      this.dirSyncs.delete(ours);
    }
  }

  async getManifest(snapshotId: string): Promise<Manifest | null> {
    let text: string;
    try {
      text = await readFile(this.manifestPath(snapshotId), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
    return parseManifest(text, snapshotId);
  }

  async deleteManifest(snapshotId: string): Promise<boolean> {
    const owner = await this.getManifest(snapshotId).then(
      (manifest) => manifest?.accountId,
      () => undefined, // unreadable: removed all the same; GC drops its reference list
    );
    const deleted = await removeFile(this.manifestPath(snapshotId));
    if (owner) await this.references.forgetCommitted(owner, snapshotId);
    return deleted;
  }

  async listManifests(): Promise<string[]> {
    return (await listDir(join(this.root, 'manifests')))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter(isSnapshotId)
      .sort();
  }

  async addPending(snapshotId: string, digests: readonly string[]): Promise<void> {
    const path = this.pendingPath(snapshotId);
    digests.forEach(assertDigest);
    await this.whenFull(`the pending record of ${snapshotId}`, async () => {
      await this.ensureDir(join(path, '..'));
      // Append-only, so a torn last line after a crash is the worst case (and is skipped).
      // Not fsynced: after a crash the interrupted write is redone and records its chunks
      // again, and until then their fresh age keeps GC off them for the grace period.
      const handle = await open(path, 'a');
      try {
        await handle.writeFile(digests.map((digest) => `${digest}\n`).join(''));
      } finally {
        await handle.close();
      }
    });
  }

  async getPending(snapshotId: string): Promise<string[] | null> {
    try {
      const text = await readFile(this.pendingPath(snapshotId), 'utf8');
      return text.split('\n').filter(isDigest);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }

  async deletePending(snapshotId: string): Promise<boolean> {
    const deleted = await removeFile(this.pendingPath(snapshotId));
    await this.references.forgetReceived(snapshotId);
    return deleted;
  }

  async listPending(): Promise<string[]> {
    return (await listDir(join(this.root, 'pending')))
      .filter((name) => name.endsWith('.digests'))
      .map((name) => name.slice(0, -'.digests'.length))
      .filter(isSnapshotId)
      .sort();
  }

  collectGarbage(options?: GcOptions): Promise<GcStats> {
    return collectGarbage(this, options);
  }

  scrub(options?: { signal?: AbortSignal }): Promise<ScrubReport> {
    return scrubRegion(this, options);
  }

  async sweepTempFiles(olderThanMs: number): Promise<number> {
    const chunksDir = join(this.root, 'chunks');
    const dirs = [
      join(this.root, 'manifests'),
      join(this.root, 'pending'),
      ...(await listDir(chunksDir)).map((prefix) => join(chunksDir, prefix)),
    ];
    let removed = 0;
    for (const dir of dirs) {
      for (const name of (await listDir(dir)).filter(isTempFile)) {
        const path = join(dir, name);
        const info = await stat(path).catch(() => null);
        if (info && info.mtimeMs <= olderThanMs && (await removeFile(path))) removed++;
      }
    }
    // Reference lists of snapshots whose manifest or write is gone (a crash between the two).
    removed += await this.references.sweepOrphans(olderThanMs, {
      manifest: async (id) => (await stat(this.manifestPath(id)).catch(() => null)) !== null,
      pending: async (id) => (await stat(this.pendingPath(id)).catch(() => null)) !== null,
    });
    return removed;
  }
}

/** utimes, false where the file does not exist. */
function touchedSync(path: string, now: Date): boolean {
  try {
    utimesSync(path, now, now);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}
