import { randomBytes } from 'node:crypto';
import { statSync, utimesSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertBytesHashTo, sha256HexAsync } from '../chunking';
import { CorruptChunkError, MissingChunkError, StorageFullError } from '../errors';
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
import type {
  ChunkBase,
  ChunkInfo,
  ChunkStored,
  ChunkWriter,
  GetChunkOptions,
  LocalRegionStore,
} from '../region-store';
import type { ChunkBuffers } from '../chunk-buffers';
import {
  applyPatch,
  decodePatch,
  encodePatch,
  mergeParts,
  PATCH_MAX_SHARE,
  partsLength,
  type ChunkPatch,
} from './chunk-patch';
import { collectGarbage } from './collect-garbage';
import type { GcOptions, GcStats, ScrubReport } from '../region-maintenance';
import { scrubRegion } from './scrub';
import { forEachMetadata } from './metadata-batches';

/**
 * The default backend, rooted at `<dataDir>/<region>/`:
 *   chunks/ab/abcdef…      content-addressed chunk files (SHA-256 hex)
 *   chunks/ab/abcdef….patch a chunk kept as its changed parts over a whole chunk (ChunkPatch)
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
  private readonly writing = new Map<string, Promise<ChunkStored>>();

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
  private patchPath(digest: string): string {
    return `${this.chunkPath(digest)}${PATCH_SUFFIX}`;
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
      (digest) =>
        touchedSync(this.chunkPath(digest), now) || touchedSync(this.patchPath(digest), now),
      (digest) => this.touchChunk(digest),
    );
    return distinct.filter((digest, i) => !present[i] || !held.has(digest));
  }

  async putChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    await assertBytesHashTo(digest, bytes, this.region);
    return this.putVerifiedChunk(digest, bytes, writer);
  }

  async putVerifiedChunk(digest: string, bytes: Uint8Array, writer: ChunkWriter): Promise<boolean> {
    return (await this.putReferenced(digest, bytes, writer)).fresh;
  }

  /**
   * A rebuilt chunk: kept as a patch over its base's whole chunk where the changed parts (with
   * the base's own, if the base is a patch) are at most a quarter of it, else whole.
   */
  putPatchedChunk(
    digest: string,
    bytes: Uint8Array,
    base: ChunkBase,
    writer: ChunkWriter,
  ): Promise<ChunkStored> {
    return this.putReferenced(digest, bytes, writer, base);
  }

  private async putReferenced(
    digest: string,
    bytes: Uint8Array,
    writer: ChunkWriter,
    base?: ChunkBase,
  ): Promise<ChunkStored> {
    // The same chunk of the same account twice at once (a client's retry): the second waits,
    // then finds it referenced, so exactly one answer says "new".
    const key = `${writer.accountId}/${digest}`;
    for (let running = this.writing.get(key); running; running = this.writing.get(key))
      await running.catch(() => undefined);
    const writing = this.writeReferenced(digest, bytes, writer, base);
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
    base: ChunkBase | undefined,
  ): Promise<ChunkStored> {
    // A chunk this call wrote into the region was no account's before; only one already here
    // may be the writer's, and only then are its reference lists read (every list it has).
    const bytesStored = await this.storeChunk(digest, bytes, base);
    const heldBefore =
      bytesStored === 0 && (await this.references.held(writer.accountId)).has(digest);
    // The bytes were verified: from now on the account references the chunk.
    await this.whenFull(`chunk ${digest}`, () => this.references.recordReceived(writer, [digest]));
    return { fresh: !heldBefore, bytesStored };
  }

  /**
   * Writes the chunk once per region (another account's copy is the same bytes), as a patch
   * over `base` where that is worth it; the bytes written, 0 if it was here already.
   */
  private async storeChunk(digest: string, bytes: Uint8Array, base?: ChunkBase): Promise<number> {
    if (await this.touchChunk(digest)) return 0;
    const patch = base ? await this.patchOver(base, bytes) : null;
    const path = patch ? this.patchPath(digest) : this.chunkPath(digest);
    const content = patch ? encodePatch(patch, bytes) : bytes;
    const dir = join(path, '..');
    const created = await this.whenFull(`chunk ${digest}`, async () => {
      await this.ensureDir(dir);
      // The chunk's bytes are fsynced now; its name with the other names before the next
      // manifest (one directory fsync for many chunks, not one per chunk).
      return writeFileAtomic(path, content, { replace: false, syncDir: false });
    });
    if (created) this.unsyncedDirs.add(dir);
    // Lost a race with another writer: refresh the winner's age for the GC grace period.
    if (!created) await this.touchChunk(digest);
    return created ? content.byteLength : 0;
  }

  /**
   * The patch that keeps `bytes` over the whole chunk under `base` (under the base's own base,
   * the parts merged, where the base is a patch itself): null where it would hold more than a
   * quarter of the chunk, or the whole chunk is gone or of another size. The whole chunk's age
   * is refreshed first, so GC keeps it until it lists the patch (it lists patches first); one
   * GC already took keeps the chunk whole.
   */
  private async patchOver(base: ChunkBase, bytes: Uint8Array): Promise<ChunkPatch | null> {
    let whole = base.digest;
    let parts = mergeParts([], base.changed);
    let info = await statIfAny(this.chunkPath(whole));
    if (!info) {
      const own = await this.readPatch(whole).catch(() => null);
      if (!own) return null;
      whole = own.patch.base;
      parts = mergeParts(own.patch.parts, parts);
      info = await statIfAny(this.chunkPath(whole));
    }
    if (partsLength(parts) > bytes.byteLength * PATCH_MAX_SHARE) return null;
    if (info?.size !== bytes.byteLength || !(await touched(this.chunkPath(whole)))) return null;
    return { base: whole, size: bytes.byteLength, parts };
  }

  /** A patch file read and checked; throws ENOENT where there is none, CorruptChunkError where unreadable. */
  private async readPatch(digest: string): Promise<{ patch: ChunkPatch; bytes: Buffer }> {
    const file = await readWhole(this.patchPath(digest));
    try {
      return decodePatch(file);
    } catch {
      throw new CorruptChunkError({ digest, region: this.region }, await sha256HexAsync(file));
    }
  }

  /** A patched chunk's bytes: its whole chunk with the parts laid over (not verified here). */
  private async readPatched(digest: string, buffers?: ChunkBuffers): Promise<Buffer> {
    const missing = (error: unknown) => {
      if (isErrno(error, 'ENOENT')) return new MissingChunkError({ digest, region: this.region });
      return error;
    };
    const { patch, bytes } = await this.readPatch(digest).catch((error: unknown) => {
      throw missing(error);
    });
    const whole = await readWhole(this.chunkPath(patch.base), buffers).catch((error: unknown) => {
      throw missing(error);
    });
    if (whole.length !== patch.size)
      throw new CorruptChunkError({ digest, region: this.region }, await sha256HexAsync(whole));
    return applyPatch(whole, patch, bytes);
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
      if (!isErrno(error, 'ENOENT')) throw error;
      bytes = await this.readPatched(digest, buffers);
    }
    if (!verify) return bytes;
    await assertBytesHashTo(digest, bytes, this.region);
    return bytes;
  }

  async touchChunk(digest: string): Promise<boolean> {
    return (await touched(this.chunkPath(digest))) || touched(this.patchPath(digest));
  }

  async statChunk(digest: string): Promise<ChunkInfo | null> {
    const info =
      (await statIfAny(this.chunkPath(digest))) ?? (await statIfAny(this.patchPath(digest)));
    return info && { digest, size: info.size, mtimeMs: info.mtimeMs };
  }

  async deleteChunk(digest: string): Promise<boolean> {
    const [whole, patch] = await Promise.all([
      removeFile(this.chunkPath(digest)),
      removeFile(this.patchPath(digest)),
    ]);
    return whole || patch;
  }

  async deleteChunkIfOlder(digest: string, cutoffMs: number): Promise<number | null> {
    const freed = await Promise.all(
      [this.chunkPath(digest), this.patchPath(digest)].map((path) =>
        deleteFileIfOlder(path, cutoffMs),
      ),
    );
    return freed[0] === null && freed[1] === null ? null : (freed[0] ?? 0) + (freed[1] ?? 0);
  }

  async *listChunks(): AsyncIterable<ChunkInfo> {
    for await (const { digest, path } of this.chunkFiles()) {
      const info = await statIfAny(path);
      if (info) yield { digest, size: info.size, mtimeMs: info.mtimeMs };
    }
  }

  async *listPatchBases(): AsyncIterable<string> {
    for await (const { digest, path } of this.chunkFiles()) {
      if (!path.endsWith(PATCH_SUFFIX)) continue;
      const patch = await this.readPatch(digest).catch(() => null); // gone, or scrub's to report
      if (patch) yield patch.patch.base;
    }
  }

  /** Every chunk file, whole or patch, by prefix directory. */
  private async *chunkFiles(): AsyncIterable<{ digest: string; path: string }> {
    const chunksDir = join(this.root, 'chunks');
    for (const prefix of await listDir(chunksDir)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const name of await listDir(join(chunksDir, prefix))) {
        const digest = name.endsWith(PATCH_SUFFIX) ? name.slice(0, -PATCH_SUFFIX.length) : name;
        if (!isDigest(digest) || !digest.startsWith(prefix)) continue;
        yield { digest, path: join(chunksDir, prefix, name) };
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
      (digest) =>
        statSync(this.chunkPath(digest), { throwIfNoEntry: false }) !== undefined ||
        statSync(this.patchPath(digest), { throwIfNoEntry: false }) !== undefined,
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

const PATCH_SUFFIX = '.patch';

/** utimes to now, false where the file does not exist. */
async function touched(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

async function statIfAny(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/**
 * For GC: deletes the file unless it was touched after `cutoffMs`; its size, or null where it
 * stayed or was absent. It is moved out of the way first: from then on a touch fails (ENOENT)
 * and its writer writes the chunk again; a touch that landed before the move shows in the
 * moved file's mtime.
 */
async function deleteFileIfOlder(path: string, cutoffMs: number): Promise<number | null> {
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
