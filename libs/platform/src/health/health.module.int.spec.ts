import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { HealthModule } from './health.module';

/** The health module over real HTTP (Nest + express), with dependencies that answer as told. */
describe('HealthModule', () => {
  let app: INestApplication;
  const state = {
    database: true,
    broker: true,
    databaseThrows: false as false | string,
  };
  const metrics = new Registry();
  new Counter({ name: 'probe_total', help: 'a probe', registers: [metrics] }).inc();
  const logged: { level: number; msg: string; check?: string; reason?: string }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logged.push(JSON.parse(line)) },
  );

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [
        HealthModule.register({
          checks: {
            database: async () => {
              if (state.databaseThrows) throw new Error(state.databaseThrows);
              return state.database;
            },
            broker: async () => state.broker,
          },
          metrics,
          logger,
        }),
      ],
    }).compile();
    app = module.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app.close());
  afterEach(() => Object.assign(state, { database: true, broker: true, databaseThrows: false }));

  it('answers 200 and the documented shape when the database and the broker answer', async () => {
    const health = await request(app.getHttpServer()).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      live: true,
      ready: true,
      checks: { database: 'up', broker: 'up' },
    });
  });

  it('answers 503 in the same shape, naming what is down (a throwing check is down)', async () => {
    state.broker = false;
    const noBroker = await request(app.getHttpServer()).get('/health');
    expect(noBroker.status).toBe(503);
    expect(noBroker.body).toEqual({
      status: 'unavailable',
      live: true,
      ready: false,
      checks: { database: 'up', broker: 'down' },
      reasons: { broker: 'the check answered not ready' },
    });
    state.databaseThrows = 'connection refused';
    const neither = await request(app.getHttpServer()).get('/health');
    expect(neither.status).toBe(503);
    expect(neither.body.checks).toEqual({ database: 'down', broker: 'down' });
    expect(neither.body.reasons).toEqual({
      database: 'connection refused',
      broker: 'the check answered not ready',
    });
  });

  it('says why a check is down (no password), logs it once per reason and when it is back, and counts every failure', async () => {
    expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);
    logged.length = 0;
    const failures = async () =>
      (await request(app.getHttpServer()).get('/metrics')).text
        .split('\n')
        .find((l) => l.startsWith('snapferry_health_check_failures_total{check="database"}'));
    const before = Number((await failures())?.split(' ').pop() ?? 0);
    state.databaseThrows =
      'getaddrinfo ENOTFOUND db.internal (postgres://snap:hunter2@db.internal:5432/catalog)';
    for (let probe = 0; probe < 3; probe++) {
      const down = await request(app.getHttpServer()).get('/health');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        status: 'unavailable',
        live: true,
        ready: false,
        checks: { database: 'down', broker: 'up' },
        reasons: {
          database:
            'getaddrinfo ENOTFOUND db.internal (postgres://snap:[redacted]@db.internal:5432/catalog)',
        },
      });
    }
    state.databaseThrows = false;
    state.database = false; // answers "not ready" without an error
    expect((await request(app.getHttpServer()).get('/health')).body.reasons).toEqual({
      database: 'the check answered not ready',
    });
    state.database = true;
    expect((await request(app.getHttpServer()).get('/health')).body).not.toHaveProperty('reasons');

    expect(Number((await failures())?.split(' ').pop())).toBe(before + 4);
    expect(JSON.stringify(logged)).not.toContain('hunter2');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'readiness check failed',
        check: 'database',
        reason: expect.stringContaining('ENOTFOUND db.internal'),
      }),
      expect.objectContaining({
        level: 40,
        msg: 'readiness check failed',
        check: 'database',
        reason: 'the check answered not ready',
      }),
      expect.objectContaining({
        level: 30,
        msg: 'readiness check passes again',
        check: 'database',
      }),
    ]);
  });

  it('stays live while not ready, and serves the metrics registry as Prometheus text', async () => {
    state.database = false;
    expect((await request(app.getHttpServer()).get('/health/live')).body).toEqual({
      status: 'ok',
    });
    const scraped = await request(app.getHttpServer()).get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain');
    expect(scraped.text).toContain('probe_total 1');
  });
});
