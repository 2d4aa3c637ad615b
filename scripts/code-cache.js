// Runs a CommonJS file with V8's code cache, as Node 22's module.enableCompileCache() does (this
// project runs on Node 20): the code compiled by a command's first run is kept in the user's
// cache directory ($XDG_CACHE_HOME or ~/.cache, snapferry/v8) and the next runs start from it
// instead of compiling the CLI's bundle again (~10 ms of every command). A cache is keyed by
// the file's bytes, Node's version and the command, so a rebuilt bundle or another Node never
// reads a stale one; V8 rejects one it cannot use and the run writes it anew. Nothing here can
// fail a command: a cache that cannot be read or written only costs the compiling.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'snapferry', 'v8');
}

/** Writes the cache (temp file, then rename: concurrent runs never read half of one) and drops the command's older ones. */
function save(dir, name, file, script) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, file);
    for (const entry of fs.readdirSync(dir))
      if (entry.startsWith(`${name}-`) && entry.endsWith('.bin') && path.join(dir, entry) !== file)
        fs.rmSync(path.join(dir, entry), { force: true });
  } catch {
    // Read-only home, full disk: the next run compiles again.
  }
}

/**
 * Runs `file` as the main module would run, from the code cache of `command` (each command
 * compiles its own functions: the first argument names the cache).
 */
function runCached(file, command = 'main') {
  const source = fs.readFileSync(file, 'utf8');
  const name = command.replace(/[^a-z0-9-]/gi, '_').slice(0, 40);
  const key = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 32);
  const dir = cacheDir();
  const cacheFile = path.join(dir, `${name}-${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  // At exit: the functions this command compiled are in the cache too, not the top level alone.
  if (cachedData === undefined || script.cachedDataRejected)
    process.once('exit', () => save(dir, name, cacheFile, script));
  const module = new Module(file, null);
  module.filename = file;
  const run = script.runInThisContext();
  run.call(
    module.exports,
    module.exports,
    Module.createRequire(file),
    module,
    file,
    path.dirname(file),
  );
}

module.exports = { runCached };
