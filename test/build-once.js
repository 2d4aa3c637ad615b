// End-to-end, browser and fault tests run the services and the CLI as real processes from
// dist/: build first (tsc is incremental, the CLI's bundle takes ~0.3 s and the console is
// rebuilt only when its sources changed, so an up-to-date tree costs a second or two).
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { buildCli } = require('../scripts/build-cli');
const { buildConsole } = require('../scripts/build-console');
module.exports = async () => {
  const root = path.resolve(__dirname, '..');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  buildCli();
  buildConsole();
};
