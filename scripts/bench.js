#!/usr/bin/env node
// `npm run bench [-- --quick | --huge | --only=api,pipeline,copy,scale,regions,slow-uploads,object-store,policy,changes | --profile]`:
// builds, then runs the benchmark suite (bench/run.ts) against the local PostgreSQL and RabbitMQ.
const { execFileSync, spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
require('./build-cli').buildCli(); // the benches time the CLI as bin/snapferry.js runs it
const child = spawn(
  process.execPath,
  ['-r', './scripts/register-paths.js', 'dist/bench/run.js', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
