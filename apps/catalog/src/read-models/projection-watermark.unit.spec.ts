import pino from 'pino';
import { Registry } from 'prom-client';
import type { PostgresEventStore } from '@snapferry/event-store';
import { ProjectionWatermark } from './projection-watermark';

/** The watermark's poll of the stored checkpoint (another instance projects), over a database that fails. */
describe('ProjectionWatermark polling the stored checkpoint', () => {
  const lines: { level: number; msg: string; err?: { message: string } }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  const metrics = new Registry();
  let database: 'down' | 'up' = 'down';
  const store = {
    query: async () => {
      if (database === 'down') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return [];
    },
  } as unknown as PostgresEventStore;
  const failures = async () =>
    (await metrics.getSingleMetric('snapferry_projection_checkpoint_poll_failures_total')!.get())
      .values[0]?.value ?? 0;

  it('logs when polls start failing (with the reason) and when they read again, and counts every failure', async () => {
    const watermark = new ProjectionWatermark(store, logger, metrics);
    watermark.timeoutMs = 300;
    watermark.projectedElsewhere = true;
    await watermark.reached({ transactionId: 9n, position: 9n }); // times out: never projected that far
    expect(await failures()).toBeGreaterThan(2);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining(
          'could not read how far another catalog instance has projected',
        ),
        err: expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:5432' }),
      }),
    ]);

    database = 'up';
    await watermark.reached({ transactionId: 9n, position: 9n });
    expect(lines.slice(1)).toEqual([
      expect.objectContaining({ level: 30, msg: 'the read models checkpoint can be read again' }),
    ]);
  });
});
