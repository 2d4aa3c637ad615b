// Test tiers by file suffix (see README "Tests"):
//   unit         *.unit.spec.ts   pure logic, no I/O
//   integration  *.int.spec.ts    one adapter against the real PostgreSQL / RabbitMQ / filesystem
//   e2e          *.e2e.spec.ts    the services as processes, HTTP in, events out
//   browser      *.browser.spec.ts the web console in Debian's Chromium (playwright-core) against the real stack
//   faults       *.fault.spec.ts  kills processes and stops the broker: run alone, after the rest
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const base = {
  rootDir: __dirname,
  // Fails a test file that leaves a socket, server, process or timer open (test/jest/).
  testEnvironment: '<rootDir>/test/jest/leak-check-environment.js',
  // Fails the run, naming what is open, if Jest has not exited 15 s after the last test.
  globalTeardown: '<rootDir>/test/jest/exit-watchdog.js',
  // eventsource-parser ships ES modules only: compiled to CommonJS like our own code.
  transform: { '^.+\\.ts$': swc, '/node_modules/eventsource-parser/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!eventsource-parser/)'],
  moduleNameMapper: { '^@snapferry/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
module.exports = {
  // Per-project testTimeout is ignored by Jest 30: one generous default, stricter where a test says so.
  testTimeout: 120_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/**/*.int.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/test/build-once.js',
    },
    {
      ...base,
      displayName: 'browser',
      testMatch: ['<rootDir>/**/*.browser.spec.ts'],
      globalSetup: '<rootDir>/test/build-once.js',
    },
    {
      ...base,
      displayName: 'faults',
      testMatch: ['<rootDir>/**/*.fault.spec.ts'],
      globalSetup: '<rootDir>/test/build-once.js',
    },
  ],
};
