#!/usr/bin/env node
// `npm start` / `npm run start:catalog` / `npm run start:replicator`: build if needed, then run.
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const what = process.argv[2] ?? 'all';

function build() {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

function run(app, env = {}) {
  return spawn(process.execPath, ['-r', path.join(root, 'scripts/register-paths.js'), path.join(root, `dist/apps/${app}/src/main.js`)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}

build();
const children = what === 'all' ? [run('catalog'), run('replicator')] : [run(what)];
let stopping = false;
const stop = (signal) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
let remaining = children.length;
let failed = 0;
for (const child of children)
  child.on('exit', (code) => {
    if (code) failed = code;
    if (!stopping) stop('SIGTERM'); // one service died: stop the rest instead of running half a stack
    if (--remaining === 0) process.exit(failed);
  });
