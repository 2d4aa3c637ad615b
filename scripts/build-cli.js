#!/usr/bin/env node
// Bundles the compiled CLI (dist/apps/cli, after tsc) and the workspace libraries it imports into
// one file, dist/cli/snapferry.js, which bin/snapferry.js runs. One file instead of some 100
// small modules (each resolved, read and compiled on its own) takes 25 ms off every command's
// start. esbuild works from tsc's output, so the bundle runs the code the tests run.
// `npm run build`, `npm start`, `npm run bench` and the test tiers' global setup call it.
const { readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'apps', 'cli', 'src', 'main.js');
const bundle = path.join(dist, 'cli', 'snapferry.js');

/**
 * `@snapferry/<lib>` as tsc leaves it, resolved to the compiled library where
 * scripts/register-paths.js resolves it at run time. `@snapferry/platform` stays outside: it is the
 * services' configuration (NestJS and more), loaded on use by `admin hash-key` alone.
 */
function workspaceLibs() {
  // (Loading it hooks this process's resolver too: harmless, esbuild resolves on its own.)
  const { libs, libEntry } = require('./register-paths');
  return Object.fromEntries(
    readdirSync(libs)
      .filter((lib) => lib !== 'platform')
      .map((lib) => [`@snapferry/${lib}`, libEntry(lib)]),
  );
}

/** Synchronous (esbuild takes ~0.2 s): the build steps around it are. */
function buildCli() {
  require('esbuild').buildSync({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    alias: workspaceLibs(),
    // What the CLI never loads but the storage library it shares with the services names
    // (the services' stores, loaded on use) stays in node_modules, and so does the platform.
    external: ['@snapferry/platform', 'pg', 'pg-native', 'undici', '@aws-sdk/*'],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

module.exports = { buildCli, bundle };

if (require.main === module) buildCli();
