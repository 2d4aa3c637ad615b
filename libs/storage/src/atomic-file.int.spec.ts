import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';

describe('writeFileAtomic with placeAfter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes meanwhile but gives the file its name only once placeAfter has settled', async () => {
    let release!: () => void;
    const synced = new Promise<void>((resolve) => (release = resolve));
    const path = join(dir, 'manifest.json');
    const written = writeFileAtomic(path, '{"ok":true}', { replace: true, placeAfter: synced });
    // Let the temp file be written and fsynced: still nothing under the name.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readdir(dir)).not.toContain('manifest.json');
    release();
    expect(await written).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('{"ok":true}');
    expect(await readdir(dir)).toEqual(['manifest.json']); // no temp file left
  });

  it('places nothing when placeAfter rejects, and throws its error', async () => {
    const path = join(dir, 'manifest.json');
    const failed = Promise.reject(new Error('directory fsync failed'));
    await expect(
      writeFileAtomic(path, '{"ok":true}', { replace: true, placeAfter: failed }),
    ).rejects.toThrow('directory fsync failed');
    expect(await readdir(dir)).toEqual([]);
  });
});
