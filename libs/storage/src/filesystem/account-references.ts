import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, isTempFile, listDir, removeFile, TEMP_MARKER } from './atomic-file';
import { assertAccountId, assertDigest, assertSnapshotId, isDigest, isSnapshotId } from '../ids';
import type { ChunkWriter } from '../region-store';

/** Digests kept in memory across accounts before the least recently asked accounts are dropped. */
const CACHE_DIGESTS = 500_000;
const SNAPSHOT_ID_LENGTH = 'snap-xxxxxxxx'.length;

/** Account ids become file names in hex: no case folding, no dots, whatever the filesystem. */
const nameOf = (accountId: string): string => Buffer.from(accountId, 'utf8').toString('hex');

/** The chunks an account references in a region, as of one question. */
export interface HeldChunks {
  has(digest: string): boolean;
}

interface CachedFile {
  ino: number;
  /** Bytes read so far (a received log grows while its write runs). */
  offset: number;
  digests: string[];
}

interface AccountCache {
  files: Map<string, CachedFile>;
  /** How many of the account's files list each digest. */
  counts: Map<string, number>;
  /** The refresh running now: refreshes of one account run one after another (shared offsets). */
  refreshed: Promise<void>;
}

/**
 * The chunks each account references in one filesystem region: what dedup may skip for it.
 *
 *   references/<account hex>/<snapshotId>.digests   a committed manifest's distinct chunks
 *   received/<snapshotId>.<account hex>             chunks verified for a write in flight (appended)
 *
 * Only ever written for chunks whose bytes the account sent (or had copied from its own
 * snapshot), so a lost or stale line can only make an account send a chunk again, never let it
 * skip one it does not have. Neither is fsynced for the same reason. Reads are cached per
 * process: committed lists never change; received logs are read on from where they were.
 */
export class AccountReferences {
  private readonly cache = new Map<string, AccountCache>();
  private cachedDigests = 0;

  constructor(private readonly root: string) {}

  private committedDir(accountId: string): string {
    assertAccountId(accountId);
    return join(this.root, 'references', nameOf(accountId));
  }
  private receivedPath({ accountId, snapshotId }: ChunkWriter): string {
    assertAccountId(accountId);
    assertSnapshotId(snapshotId);
    return join(this.root, 'received', `${snapshotId}.${nameOf(accountId)}`);
  }

  /** The writer's account now references these chunks (their bytes were verified). */
  async recordReceived(writer: ChunkWriter, digests: readonly string[]): Promise<void> {
    digests.forEach(assertDigest);
    const path = this.receivedPath(writer);
    const lines = digests.map((digest) => `${digest}\n`).join('');
    // The directory is there but for the first write in a region (one call per chunk: no mkdir each time).
    await appendFile(path, lines).catch(async (error: unknown) => {
      if (!isErrno(error, 'ENOENT')) throw error;
      await mkdir(join(path, '..'), { recursive: true });
      await appendFile(path, lines);
    });
  }

  /** A manifest of the account is being written: its chunks stay referenced with it. */
  async commit(accountId: string, snapshotId: string, digests: readonly string[]): Promise<void> {
    assertSnapshotId(snapshotId);
    const dir = this.committedDir(accountId);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${snapshotId}.digests`);
    const temp = `${path}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
    await writeFile(temp, [...new Set(digests)].map((digest) => `${digest}\n`).join(''));
    await rename(temp, path);
  }

  /** The account's manifest of `snapshotId` is gone: its chunks no longer count for it. */
  async forgetCommitted(accountId: string, snapshotId: string): Promise<void> {
    assertSnapshotId(snapshotId);
    await removeFile(join(this.committedDir(accountId), `${snapshotId}.digests`));
  }

  /** The write of `snapshotId` ended (committed or abandoned): its received logs go. */
  async forgetReceived(snapshotId: string): Promise<void> {
    assertSnapshotId(snapshotId);
    const dir = join(this.root, 'received');
    for (const name of await listDir(dir))
      if (name.startsWith(`${snapshotId}.`)) await removeFile(join(dir, name));
  }

  /** The chunks `accountId` references here now: its committed manifests and writes in flight. */
  async held(accountId: string): Promise<HeldChunks> {
    const committedDir = this.committedDir(accountId);
    const cache = this.cache.get(accountId) ?? {
      files: new Map(),
      counts: new Map(),
      refreshed: Promise.resolve(),
    };
    this.cache.delete(accountId); // re-inserted last: the Map's order is the LRU order
    this.cache.set(accountId, cache);
    const refresh = cache.refreshed.then(() => this.refresh(accountId, committedDir, cache));
    cache.refreshed = refresh.catch(() => undefined);
    await refresh;
    return { has: (digest) => cache.counts.has(digest) };
  }

  private async refresh(
    accountId: string,
    committedDir: string,
    cache: AccountCache,
  ): Promise<void> {
    const suffix = `.${nameOf(accountId)}`;
    const seen = new Set<string>();
    for (const name of await listDir(committedDir)) {
      if (!name.endsWith('.digests') || isTempFile(name)) continue;
      const key = `c:${name}`;
      seen.add(key);
      // A committed list never changes once written: read it once.
      if (!cache.files.has(key)) await this.load(cache, key, join(committedDir, name), true);
    }
    const receivedDir = join(this.root, 'received');
    for (const name of await listDir(receivedDir)) {
      if (!name.endsWith(suffix) || !isSnapshotId(name.slice(0, SNAPSHOT_ID_LENGTH))) continue;
      const key = `r:${name}`;
      seen.add(key);
      await this.load(cache, key, join(receivedDir, name), false);
    }
    for (const key of [...cache.files.keys()]) if (!seen.has(key)) this.drop(cache, key);
    this.evict(accountId);
  }

  /** Reads a list file, or what was appended to it since the last read. */
  private async load(
    cache: AccountCache,
    key: string,
    path: string,
    immutable: boolean,
  ): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return this.drop(cache, key);
      throw error;
    }
    let cached = cache.files.get(key);
    if (cached && (cached.ino !== info.ino || info.size < cached.offset)) {
      this.drop(cache, key); // replaced (a write of the same snapshot began again)
      cached = undefined;
    }
    if (cached && (immutable || info.size === cached.offset)) return;
    const entry = cached ?? { ino: info.ino, offset: 0, digests: [] };
    const text = await readTail(path, entry.offset);
    if (text === null) return this.drop(cache, key);
    // Only whole lines: a line being appended right now is read next time.
    const end = text.lastIndexOf('\n') + 1;
    entry.offset += Buffer.byteLength(text.slice(0, end));
    for (const line of text.slice(0, end).split('\n')) {
      if (!isDigest(line)) continue;
      entry.digests.push(line);
      cache.counts.set(line, (cache.counts.get(line) ?? 0) + 1);
      this.cachedDigests++;
    }
    cache.files.set(key, entry);
  }

  private drop(cache: AccountCache, key: string): void {
    const entry = cache.files.get(key);
    if (!entry) return;
    cache.files.delete(key);
    for (const digest of entry.digests) {
      const count = (cache.counts.get(digest) ?? 1) - 1;
      if (count <= 0) cache.counts.delete(digest);
      else cache.counts.set(digest, count);
    }
    this.cachedDigests -= entry.digests.length;
  }

  private evict(keep: string): void {
    for (const [accountId, cache] of this.cache) {
      if (this.cachedDigests <= CACHE_DIGESTS) return;
      if (accountId === keep) continue;
      for (const key of [...cache.files.keys()]) this.drop(cache, key);
      this.cache.delete(accountId);
    }
  }

  /**
   * For garbage collection: drops committed lists whose manifest is gone and received logs
   * whose write has no pending record any more, once older than `cutoffMs` (a write that is
   * about to create its manifest or record is younger). Returns how many went.
   */
  async sweepOrphans(
    cutoffMs: number,
    has: {
      manifest(snapshotId: string): Promise<boolean>;
      pending(snapshotId: string): Promise<boolean>;
    },
  ): Promise<number> {
    let removed = 0;
    const old = async (path: string) => {
      const info = await stat(path).catch(() => null);
      return info !== null && info.mtimeMs <= cutoffMs;
    };
    const referencesDir = join(this.root, 'references');
    for (const account of await listDir(referencesDir)) {
      const dir = join(referencesDir, account);
      for (const name of await listDir(dir)) {
        const path = join(dir, name);
        const snapshotId = name.slice(0, SNAPSHOT_ID_LENGTH);
        const orphan =
          isTempFile(name) || !isSnapshotId(snapshotId) || !(await has.manifest(snapshotId));
        if (orphan && (await old(path)) && (await removeFile(path))) removed++;
      }
    }
    const receivedDir = join(this.root, 'received');
    for (const name of await listDir(receivedDir)) {
      const path = join(receivedDir, name);
      const snapshotId = name.slice(0, SNAPSHOT_ID_LENGTH);
      const orphan = !isSnapshotId(snapshotId) || !(await has.pending(snapshotId));
      if (orphan && (await old(path)) && (await removeFile(path))) removed++;
    }
    return removed;
  }
}

async function readTail(path: string, offset: number): Promise<string | null> {
  if (offset === 0) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
