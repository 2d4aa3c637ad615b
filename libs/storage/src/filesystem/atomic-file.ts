import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ChunkBuffers } from '../chunk-buffers';

/** Marks files being written; readers skip them, GC removes the stale ones. */
export const TEMP_MARKER = '.tmp-';

export const isTempFile = (name: string): boolean => name.includes(TEMP_MARKER);

// Duck-typed: errors from Node's fs may come from another realm (e.g. under Jest).
export const isErrno = (error: unknown, ...codes: string[]): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'code' in error &&
  typeof error.code === 'string' &&
  codes.includes(error.code);

/** Makes a rename or newly created file durable; best effort where directories cannot be opened. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    if (!isErrno(error, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `bytes` to a temp file in the same directory, fsyncs it, then moves it into
 * place and fsyncs the directory: a crash leaves either nothing or the whole file.
 * With `replace: false` an existing file wins (content-addressed chunks) and the
 * result says whether this call created it. With `syncDir: false` the caller fsyncs the
 * directory later (once for many files): until then a crash may lose the name, never
 * leave a partial file under it.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string,
  { replace, syncDir = true }: { replace: boolean; syncDir?: boolean },
): Promise<boolean> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
  let created = true;
  try {
    const handle = await open(temp, 'wx');
    try {
      await writeAll(handle, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    created = replace ? (await rename(temp, path), true) : await linkIntoPlace(temp, path);
    if (syncDir) await fsyncDir(dir);
    return created;
  } finally {
    // Usually gone already (renamed or linked into place); a leftover is swept by GC later.
    await unlink(temp).catch(() => undefined);
  }
}

/** The whole buffer in as few writes as the kernel takes (FileHandle.writeFile writes 512 KiB at a time). */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, done);
    done += bytesWritten;
  }
}

/**
 * A whole file in one buffer, read in as few calls as the kernel takes (readFile reads 512 KiB
 * at a time: eight trips through the thread pool for a 4 MiB chunk).
 */
export async function readWhole(path: string, buffers?: ChunkBuffers): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = buffers ? buffers.borrow(size) : Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break; // truncated meanwhile: the digest check catches it
      filled += bytesRead;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Links `temp` to `path` unless `path` exists (true if it was placed); rename where there are no hard links. */
export async function linkIntoPlace(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    if (!isErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS')) throw error;
    // No hard links on this filesystem: rename is still atomic, just not exclusive.
    await rename(temp, path);
    return true;
  }
}

/** The names in a directory; none where it does not exist (yet). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
}

/** Unlinks a file; false where it was already gone. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}
