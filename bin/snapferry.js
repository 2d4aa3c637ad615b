#!/usr/bin/env node
// The command-line client, run from the compiled tree (dist/); see apps/cli/README.md. It runs
// dist/cli/snapferry.js, the CLI bundled into one file (scripts/build-cli.js), from V8's code
// cache (scripts/code-cache.js); a tree compiled after that bundle was made (tsc alone) runs
// as compiled, module by module, so the CLI is never older than the tree.
const { existsSync, statSync } = require('node:fs');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist');
const main = path.join(dist, 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    `error: the CLI is not built (${path.relative(process.cwd(), main) || main} is missing); run \`npm run build\` first\n`,
  );
  process.exit(2);
}
require('../scripts/register-paths.js');
const bundle = path.join(dist, 'cli', 'snapferry.js');
const mtime = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN;
// tsc rewrites its build info whenever it emits; the bundle is made after it.
if (mtime(bundle) >= mtime(path.join(dist, '.tsbuildinfo')))
  require('../scripts/code-cache.js').runCached(
    bundle,
    process.argv.slice(2).find((arg) => !arg.startsWith('-')),
  );
else require(main);
