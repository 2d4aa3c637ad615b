import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { HealthModule } from './health.module';

/** The health module over real HTTP (Nest + express), with dependencies that answer as told. */
describe('HealthModule', () => {
  let app: INestApplication;
  const state = { database: true, broker: true, databaseThrows: false };
  const metrics = new Registry();
  new Counter({ name: 'probe_total', help: 'a probe', registers: [metrics] }).inc();

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [
        HealthModule.register({
          checks: {
            database: async () => {
              if (state.databaseThrows) throw new Error('connection refused');
              return state.database;
            },
            broker: async () => state.broker,
          },
          metrics,
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
    });
    state.databaseThrows = true;
    const neither = await request(app.getHttpServer()).get('/health');
    expect(neither.status).toBe(503);
    expect(neither.body.checks).toEqual({ database: 'down', broker: 'down' });
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
