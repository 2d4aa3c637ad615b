import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyGcStats } from '../region-maintenance';
import { HttpRegionStore } from './http-region-store';

/** A region's store service as the network shows it: what it answers, and when, is the test's. */
async function fakeRegion(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ server: Server; url: string; requests: IncomingMessage[]; closed: number }> {
  const region = { requests: [] as IncomingMessage[], closed: 0 };
  const server = createServer((request, response) => {
    region.requests.push(request);
    response.on('close', () => response.writableFinished || region.closed++);
    request.resume();
    request.on('end', () => answer(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(region, { server, url: `http://127.0.0.1:${port}` });
}

const statsBody = JSON.stringify(emptyGcStats());

describe("HttpRegionStore's GC and scrub calls", () => {
  let region: Awaited<ReturnType<typeof fakeRegion>> | undefined;
  afterEach(async () => {
    region?.server.closeAllConnections();
    await new Promise((resolve) => region?.server.close(resolve));
    region = undefined;
  });

  const storeAt = (url: string, timeoutMs = 60_000) =>
    new HttpRegionStore('ap-shanghai', {
      baseUrl: url,
      secret: 's',
      retryForMs: 60_000,
      timeoutMs,
    });

  it('an aborted scrub closes its request at once and is not retried', async () => {
    region = await fakeRegion(() => undefined); // scrubbing a large region: no answer yet
    const caller = new AbortController();
    const scrub = storeAt(region.url).scrub({ signal: caller.signal });
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const poll = setInterval(
        () => region!.requests.length > 0 && (clearInterval(poll), resolve()),
        5,
      );
    });
    caller.abort(new Error('the operator went away'));
    await expect(scrub).rejects.toThrow('the operator went away');
    await sleep(1_000); // a retry would come after 200 ms
    expect(region.requests).toHaveLength(1);
    expect(region.closed).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a GC aborted while it waits to retry ends at once, with no further attempt', async () => {
    region = await fakeRegion((_, response) => response.writeHead(503).end('{}'));
    const caller = new AbortController();
    const gc = storeAt(region.url).collectGarbage({ graceMs: 0, signal: caller.signal });
    while (region.requests.length < 2) await sleep(5); // now in the 400 ms pause
    const aborted = Date.now();
    caller.abort(new Error('stopping'));
    await expect(gc).rejects.toThrow('stopping');
    expect(Date.now() - aborted).toBeLessThan(100);
    await sleep(1_000);
    expect(region.requests).toHaveLength(2);
  });

  it('a GC that outlasts the per-call timeout is waited for, not abandoned and retried', async () => {
    region = await fakeRegion((_, response) =>
      setTimeout(
        () => response.writeHead(200, { 'content-type': 'application/json' }).end(statsBody),
        600,
      ),
    );
    const stats = await storeAt(region.url, 100).collectGarbage({ graceMs: 0 });
    expect(stats.chunksScanned).toBe(0);
    expect(region.requests).toHaveLength(1);
  });
});
