#!/usr/bin/env node
// `npm start` (catalog + a replicator for every region), `npm run start:catalog`,
// `npm run start:replicator`: build if needed, check (or provide) PostgreSQL and RabbitMQ,
// then run in the foreground until Ctrl-C. Each service creates its own database schema,
// exchanges and queues at start. Only `npm start` (the development stack) lets the catalog
// fall back to the built-in development keys (SNAPFERRY_DEVELOPMENT_KEYS=1).
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const what = process.argv[2] ?? 'all';
const say = (line) => process.stderr.write(`snapferry: ${line}\n`);

function build() {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, stdio: 'inherit' },
  );
  require('./build-cli').buildCli();
  require('./build-console').buildConsole();
}

async function postgresAnswers(url) {
  // Runs after build(): the services' own probe, from dist/.
  const { probePostgres } = require(path.join(root, 'dist/libs/platform/src/ensure-database'));
  const target = new URL(url);
  target.pathname = '/postgres';
  return (await probePostgres(target.toString(), 3000)).state === 'answers';
}

async function rabbitAnswers(url) {
  try {
    const connection = await require('amqplib').connect(url, { timeout: 3000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function dockerAnswers() {
  try {
    const { getContainerRuntimeClient } = require('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Uses the configured services; where one does not answer, starts it with testcontainers if Docker can. */
async function services(env) {
  const databaseUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/snapferry';
  const amqpUrl = env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const extra = {};
  const pgUp = await postgresAnswers(databaseUrl);
  const mqUp = await rabbitAnswers(amqpUrl);
  if (pgUp && mqUp) return extra;
  const missing = [
    !pgUp && `PostgreSQL (${redact(databaseUrl)})`,
    !mqUp && `RabbitMQ (${redact(amqpUrl)})`,
  ].filter(Boolean);
  if (!(await dockerAnswers())) {
    say(`cannot reach ${missing.join(' and ')}, and no Docker engine answers to start them.`);
    say(
      'install and start them (Debian: apt-get install postgresql rabbitmq-server), or point DATABASE_URL,',
    );
    say(
      'REPLICATOR_DATABASE_URL and AMQP_URL at running servers, or start Docker so that npm start can run them.',
    );
    process.exit(1);
  }
  if (!pgUp) {
    say('PostgreSQL does not answer: starting postgres:15 with testcontainers (Docker)…');
    const { PostgreSqlContainer } = require('@testcontainers/postgresql');
    const pg = await new PostgreSqlContainer('postgres:15-alpine')
      .withDatabase('snapferry')
      .start();
    extra.DATABASE_URL = pg.getConnectionUri();
    const replicatorUrl = new URL(extra.DATABASE_URL);
    replicatorUrl.pathname = '/snapferry_replicator';
    extra.REPLICATOR_DATABASE_URL = replicatorUrl.toString();
    say(`PostgreSQL is at ${redact(extra.DATABASE_URL)}`);
  }
  if (!mqUp) {
    say(
      'RabbitMQ does not answer: starting rabbitmq:3.10-management with testcontainers (Docker)…',
    );
    const { RabbitMQContainer } = require('@testcontainers/rabbitmq');
    const mq = await new RabbitMQContainer('rabbitmq:3.10-management-alpine').start();
    extra.AMQP_URL = mq.getAmqpUrl();
    say(`RabbitMQ is at ${redact(extra.AMQP_URL)}`);
  }
  return extra;
}

/**
 * The services' environment. The development stack without SNAPFERRY_API_KEYS runs on the
 * built-in keys; `start:catalog` and `start:replicator` are how production starts, so they
 * never do, even when the switch was left in the environment.
 */
function serviceEnv(what, env) {
  const result = { ...env };
  delete result.SNAPFERRY_DEVELOPMENT_KEYS;
  if (what === 'all' && !env.SNAPFERRY_API_KEYS?.trim()) result.SNAPFERRY_DEVELOPMENT_KEYS = '1';
  return result;
}

const redact = (url) => url.replace(/\/\/([^:/@]+):[^@]+@/, '//$1:***@');

function run(app, env) {
  return spawn(
    process.execPath,
    [
      '-r',
      path.join(root, 'scripts/register-paths.js'),
      path.join(root, `dist/apps/${app}/src/main.js`),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    },
  );
}

/** What `npm start` prints: where the API is and, with the built-in keys only, a key to try. */
function banner(env, print = say) {
  const port = env.PORT ?? '3000';
  const scheme = env.SNAPFERRY_TLS_CERT ? 'https' : 'http';
  const base = `${scheme}://127.0.0.1:${port}`;
  print(`console  ${base}/console   (sign in with an API key)`);
  print(`API      ${base}/v1   (docs: ${base}/docs, OpenAPI: /openapi.json)`);
  if (env.SNAPFERRY_DEVELOPMENT_KEYS === '1') {
    print(
      `API key  dev-operator-key   (export SNAPFERRY_URL=${base} SNAPFERRY_API_KEY=dev-operator-key; npx snapferry regions)`,
    );
    print(
      '         built-in development keys (npm start only, never in production); set SNAPFERRY_API_KEYS for real ones',
    );
  } else {
    // A configured key is a real credential: it never goes to a terminal or a log.
    print('API key  the keys configured in SNAPFERRY_API_KEYS (not shown)');
  }
  print(
    `data     ${env.SNAPFERRY_DATA_DIR ?? path.join(require('node:os').tmpdir(), 'snapferry-data')}`,
  );
  print('stop     Ctrl-C');
}

async function main() {
  build();
  const env = serviceEnv(what, { ...process.env, ...(await services(process.env)) });
  const children =
    what === 'all' ? [run('catalog', env), run('replicator', env)] : [run(what, env)];
  // Without keys the catalog refuses to start and says why; a banner would only mislead.
  if (what !== 'replicator' && (env.SNAPFERRY_DEVELOPMENT_KEYS || env.SNAPFERRY_API_KEYS?.trim()))
    banner(env);
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  let remaining = children.length;
  let failed = 0;
  for (const child of children)
    child.on('exit', (code, signal) => {
      if (code) failed = code;
      if (!stopping) {
        say(`a service exited (${code ?? signal}); stopping the others`);
        stop('SIGTERM');
      }
      if (--remaining === 0) process.exit(failed);
    });
}

if (require.main === module)
  main().catch((error) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });

module.exports = { banner, serviceEnv };
