// Resolves the workspace's `@snapferry/<lib>` imports to the compiled libraries in dist/
// (tsc keeps path aliases as written; tsconfig-paths maps them at run time).
const path = require('node:path');
const { register } = require('tsconfig-paths');
register({
  baseUrl: path.resolve(__dirname, '..', 'dist'),
  paths: { '@snapferry/*': ['libs/*/src/index.js'] },
});
