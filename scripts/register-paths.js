// Resolves the workspace's `@snapferry/<lib>` imports to the compiled libraries in dist/ (tsc
// keeps path aliases as written). A resolver hook of a few lines instead of tsconfig-paths,
// which reads tsconfig files with a JSON5 parser first: ~25 ms of every CLI command's start.
const Module = require('node:module');
const path = require('node:path');

const libs = path.resolve(__dirname, '..', 'dist', 'libs');
/** Where `@snapferry/<lib>` is compiled to (also the CLI bundle's aliases: scripts/build-cli.js). */
const libEntry = (lib) => path.join(libs, lib, 'src', 'index.js');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@snapferry\/([a-z][a-z-]*)$/.exec(request)?.[1];
  return resolveFilename.call(this, lib ? libEntry(lib) : request, ...rest);
};

module.exports = { libs, libEntry };
