import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createEventStoreDataSource, PostgresEventStore } from '@snapferry/event-store';
import { keys } from '../support/catalog-harness';
import {
  startProcessStack,
  withProcessOutput,
  type ProcessStack,
} from '../support/process-harness';

const rssOf = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
};

/** Asks for the whole event log as server-sent events and never reads a byte of the answer. */
function stalledReader(url: string, key: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET /v1/events/stream?after=0 HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

const MiB = 1024 * 1024;

// Runs the catalog as a process so its memory can be read from /proc.
describe('the event stream under a reader that does not read', () => {
  let s: ProcessStack;
  let store: PostgresEventStore;
  let closeStore: () => Promise<void>;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    s = await startProcessStack({ SNAPFERRY_MAX_EVENT_STREAMS: '3' });
    const dataSource = createEventStoreDataSource(s.db.url);
    await dataSource.initialize();
    store = new PostgresEventStore(dataSource);
    closeStore = () => dataSource.destroy();
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await closeStore?.();
    await s?.stop();
  });

  it(
    'keeps the catalog memory bounded while the log grows by 48 MiB',
    withProcessOutput(async () => {
      for (let i = 0; i < 3; i++) sockets.push(await stalledReader(s.catalog.url, keys.operator));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const before = await rssOf(s.catalog.pid!);

      // 24,000 events of 2 KiB each, appended while the two streams are open.
      const blob = 'x'.repeat(2048);
      for (let batch = 0; batch < 48; batch++)
        await store.appendToStream(
          `padding-${randomUUID()}`,
          Array.from({ length: 500 }, (_, i) => ({ type: 'LogPadded', data: { i, blob } })),
          { expectedVersion: 'no_stream' },
        );
      // Give the streams time to read the whole log, as the unbounded version did.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const growth = (await rssOf(s.catalog.pid!)) - before;
      process.stdout.write(`catalog RSS growth: ${(growth / MiB).toFixed(1)} MiB\n`);
      // Measured here: about 80 MiB with no stream open (the relay and projector read the same
      // 48 MiB in batches) and 90-100 MiB with these three; the unbounded version grew by
      // 340 MiB with two readers (each buffered the whole log).
      expect(growth).toBeLessThan(160 * MiB);

      // A fourth stream of the same key is refused with the error shape.
      const refused = await fetch(`${s.catalog.url}/v1/events/stream`, {
        headers: { authorization: `Bearer ${keys.operator}` },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      const body = (await refused.json()) as { error: { code: string } };
      expect(body.error.code).toBe('LimitExceeded.EventStreams');
      // Another key is not affected.
      const other = await fetch(`${s.catalog.url}/v1/events/stream`, {
        headers: { authorization: `Bearer ${keys.alice}` },
      });
      expect(other.status).toBe(200);
      await other.body?.cancel();
      // Closing a stream frees its slot.
      sockets.pop()?.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await fetch(`${s.catalog.url}/v1/events/stream`, {
        headers: { authorization: `Bearer ${keys.operator}` },
      });
      expect(again.status).toBe(200);
      await again.body?.cancel();
    }),
    120_000,
  );
});
