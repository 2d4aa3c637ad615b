import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runNode } from '../support/cli-process';

/**
 * bin/snapferry.js runs the CLI's bundle (dist/cli/snapferry.js, made by the build) from V8's
 * code cache in the user's cache directory, and the compiled tree instead when tsc emitted
 * after the bundle was made.
 */
const root = resolve(__dirname, '..', '..');

const run = (script: string, args: string[], cacheHome: string) =>
  runNode(script, args, { PATH: process.env['PATH'], XDG_CACHE_HOME: cacheHome });

const cacheFiles = async (cacheHome: string) =>
  (await readdir(join(cacheHome, 'snapferry', 'v8')).catch(() => [])).sort();

describe('the CLI bundle and its code cache', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'snapferry-cli-bundle-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes a command its code cache on its first run, starts from it after, and rewrites one V8 rejects', async () => {
    const bin = join(root, 'bin', 'snapferry.js');
    const first = await run(bin, ['snapshot', '--help'], work);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^Usage: snapferry snapshot /);
    const [file, ...others] = await cacheFiles(work);
    expect(others).toEqual([]);
    expect(file).toMatch(/^snapshot-[0-9a-f]{32}\.bin$/);
    const path = join(work, 'snapferry', 'v8', file!);
    const written = await readFile(path);
    // A whole second a minute ago: an mtime with a fraction of a millisecond reads back rounded.
    const old = new Date(Math.floor(Date.now() / 1000 - 60) * 1000);
    await utimes(path, old, old);

    // Used, not written again; the answer is the same.
    expect(await run(bin, ['snapshot', '--help'], work)).toEqual(first);
    expect((await stat(path)).mtimeMs).toBe(old.getTime());
    expect(await readFile(path)).toEqual(written);

    // Garbage in its place: V8 rejects it, the command still answers, and the cache is made anew.
    await writeFile(path, Buffer.alloc(written.length, 7));
    expect(await run(bin, ['snapshot', '--help'], work)).toEqual(first);
    expect(await readFile(path)).not.toEqual(Buffer.alloc(written.length, 7));
    expect(await cacheFiles(work)).toEqual([file]);

    // Another command has a cache of its own.
    expect((await run(bin, ['regions', '--help'], work)).code).toBe(0);
    expect((await cacheFiles(work)).map((f) => f.split('-')[0])).toEqual(['regions', 'snapshot']);
  });

  it('runs the compiled tree, not the bundle, when tsc emitted after the bundle was made', async () => {
    // A copy of the install whose bundle only says which one ran.
    const copy = join(work, 'install');
    for (const dir of ['bin', 'scripts', 'dist/cli'])
      await mkdir(join(copy, dir), { recursive: true });
    await copyFile(join(root, 'bin', 'snapferry.js'), join(copy, 'bin', 'snapferry.js'));
    for (const script of ['register-paths.js', 'code-cache.js'])
      await copyFile(join(root, 'scripts', script), join(copy, 'scripts', script));
    for (const dir of ['apps', 'libs'])
      await symlink(join(root, 'dist', dir), join(copy, 'dist', dir));
    const bundle = join(copy, 'dist', 'cli', 'snapferry.js');
    const buildInfo = join(copy, 'dist', '.tsbuildinfo');
    await writeFile(bundle, "process.stdout.write('the bundle ran\\n');\n");
    await writeFile(buildInfo, '{}');
    const bin = join(copy, 'bin', 'snapferry.js');
    const at = (file: string, seconds: number) =>
      utimes(file, new Date(seconds * 1000), new Date(seconds * 1000));

    await at(buildInfo, 1_000_000);
    await at(bundle, 1_000_001);
    expect(await run(bin, ['--help'], work)).toEqual({
      code: 0,
      stdout: 'the bundle ran\n',
      stderr: '',
    });

    await at(buildInfo, 1_000_002);
    const tree = await run(bin, ['--help'], work);
    expect(tree).toMatchObject({ code: 0, stderr: '' });
    expect(tree.stdout).toMatch(/^Usage: snapferry \[options\] \[command\]/);
    // And the real bundle answers as the tree does.
    expect(await run(join(root, 'bin', 'snapferry.js'), ['--help'], work)).toEqual(tree);
  });
});
