// The leak check (leak-check-environment.js) and the exit watchdog (exit-watchdog.js) are what
// replaced `jest --forceExit`: these runs show that each fails on a leaked handle, naming it,
// and passes without one.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const fixtures = join(__dirname, 'fixtures');

interface Run {
  code: number | null;
  output: string;
  ms: number;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: root, env: { ...process.env, ...env, CI: 'true' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          output: `${stdout}${stderr}`,
          ms: Date.now() - started,
        }),
    );
  });
}

const runJest = (fixture: string, env: NodeJS.ProcessEnv = {}) =>
  run(
    [
      require.resolve('jest/bin/jest'),
      '-c',
      join(fixtures, 'jest.config.js'),
      '--runTestsByPath',
      join(fixtures, fixture),
    ],
    env,
  );

const watchdog = join(__dirname, 'exit-watchdog.js');

describe('exit watchdog', () => {
  it('exits 1 and names the server that kept the process alive', async () => {
    const leak = `require(${JSON.stringify(watchdog)})().then(() =>
      require('node:net').createServer().listen(0, '127.0.0.1'))`;
    const { code, output, ms } = await run(['-e', leak], {
      SNAPFERRY_TEST_EXIT_WATCHDOG_MS: '300',
    });
    expect(code).toBe(1);
    expect(output).toContain('had not exited 300 ms after the tests ended');
    expect(output).toMatch(/Server listening on 127\.0\.0\.1:\d+/);
    expect(ms).toBeLessThan(20_000);
  });

  it('never keeps a process alive itself: nothing open, it exits 0 at once', async () => {
    const { code, output, ms } = await run(['-e', `require(${JSON.stringify(watchdog)})()`], {
      SNAPFERRY_TEST_EXIT_WATCHDOG_MS: '60000',
    });
    expect({ code, output }).toEqual({ code: 0, output: '' });
    expect(ms).toBeLessThan(20_000);
  });
});

describe('leak check, in a Jest run', () => {
  it('fails a test file that leaves a server listening, with where it was created', async () => {
    const { code, output } = await runJest('leaks-a-server.fixture.js', {
      SNAPFERRY_TEST_LEAK_GRACE_MS: '100',
      SNAPFERRY_TEST_EXIT_WATCHDOG_MS: '1000',
    });
    expect(code).toBe(1);
    expect(output).toContain('1 handle(s) opened by this test file were still open 100 ms');
    expect(output).toMatch(/TCP server on 127\.0\.0\.1:\d+, created/);
    expect(output).toContain('leaks-a-server.fixture.js:5');
    // And Jest, which runs that file in its own process here, is stopped by the watchdog.
    expect(output).toContain('had not exited 1000 ms after the tests ended');
    expect(output).toMatch(/Server listening on 127\.0\.0\.1:\d+/);
  });

  it('passes a file that closes what it opened (an unref’d timer may stay), and Jest exits 0', async () => {
    const { code, output } = await runJest('closes-its-server.fixture.js', {
      SNAPFERRY_TEST_EXIT_WATCHDOG_MS: '60000',
    });
    expect(output).toContain('1 passed');
    expect(output).not.toContain('handle(s)');
    expect(code).toBe(0);
  });
});
