#!/usr/bin/env node
// The command-line client, run from the compiled tree (dist/); see apps/cli/README.md.
const { existsSync } = require('node:fs');
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    `error: the CLI is not built (${path.relative(process.cwd(), main) || main} is missing); run \`npm run build\` first\n`,
  );
  process.exit(2);
}
require('../scripts/register-paths.js');
require(main);
