import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
 * result says whether this call created it.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string,
  { replace }: { replace: boolean },
): Promise<boolean> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`);
  let created = true;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    created = replace ? (await rename(temp, path), true) : await linkIntoPlace(temp, path);
    await fsyncDir(dir);
    return created;
  } finally {
    // Usually gone already (renamed or linked into place); a leftover is swept by GC later.
    await unlink(temp).catch(() => undefined);
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
