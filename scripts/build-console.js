#!/usr/bin/env node
// Builds the web console (apps/console, Vite) into dist/apps/console when its sources are
// newer than the last build, or always with --force. `npm run build`, `npm start` and the
// test tiers' global setup call it; the catalog serves the result at /console.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const output = path.join(root, 'dist/apps/console/index.html');
const inputs = ['apps/console', 'libs/domain/src', 'package-lock.json'];

function newest(file) {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)));
  return latest;
}

function isFresh() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((input) => newest(path.join(root, input)) <= built);
}

function buildConsole({ force = false } = {}) {
  if (!force && isFresh()) return false;
  execFileSync(
    process.execPath,
    [
      path.join(path.dirname(require.resolve('vite/package.json')), 'bin/vite.js'),
      'build',
      '--config',
      'apps/console/vite.config.mjs',
      '--logLevel',
      'warn',
    ],
    // Jest's global setup runs with NODE_ENV=test, which would give React's development build.
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  return true;
}

module.exports = { buildConsole };

if (require.main === module) buildConsole({ force: process.argv.includes('--force') });
