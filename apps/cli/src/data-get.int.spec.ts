import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpFetch } from './http-transport';
import { cli } from './spec-helpers';

/**
 * `data get` over the real transport against a node:http server that serves one image the way
 * the catalog does (Content-Length, Range, the whole-image SHA-256 as ETag), and can drop the
 * connection part way through a body.
 */
describe('snapferry data get when the read fails part way', () => {
  const image = randomBytes(1024 * 1024);
  const etag = `"${createHash('sha256').update(image).digest('hex')}"`;
  let server: Server;
  let url: string;
  let dir: string;
  /** The next full (not ranged) read sends this many bytes, then drops the connection. */
  let dropAfter: number | undefined;

  function answer(request: IncomingMessage, response: ServerResponse): void {
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    const headers = { etag, 'content-type': 'application/octet-stream' };
    if (range) {
      response.writeHead(206, {
        ...headers,
        'content-length': image.length - from,
        'content-range': `bytes ${from}-${image.length - 1}/${image.length}`,
      });
      response.end(image.subarray(from));
      return;
    }
    response.writeHead(200, { ...headers, 'content-length': image.length });
    if (dropAfter === undefined) return void response.end(image);
    response.write(image.subarray(0, dropAfter), () =>
      setTimeout(() => request.socket.destroy(), 50),
    );
    dropAfter = undefined;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-data-get-'));
    server = createServer(answer);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (args: string[]) =>
    cli(['data', 'get', 'snap-aaaa0001', ...args], httpFetch(), {
      SNAPFERRY_URL: url,
      SNAPFERRY_API_KEY: 'key-1',
    });

  it('a dropped connection says how much arrived and that --resume continues; --resume does', async () => {
    const output = join(dir, 'disk.img');
    dropAfter = 256 * 1024;
    const dropped = await get(['-o', output]);
    expect(dropped.code).toBe(4);
    expect(dropped.stderr).toMatch(
      new RegExp(
        `^error: the connection to the API at ${url} dropped after \\d+ of 1048576 bytes \\(ECONNRESET\\); run the same command with --resume to continue from there\\n$`,
      ),
    );
    const kept = (await readFile(output)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(image.length);

    const resumed = await get(['-o', output, '--resume', '--json']);
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(resumed.stdout)).toMatchObject({ bytes: image.length, resumedFrom: kept });
    expect((await readFile(output)).equals(image)).toBe(true);
  });

  it('a file it cannot write is that file and its reason (exit 2), not an unreachable API', async () => {
    const full = await get(['-o', '/dev/full']);
    expect(full).toMatchObject({ code: 2, stderr: 'error: cannot write /dev/full: ENOSPC\n' });
    const missing = await get(['-o', join(dir, 'no-such-dir', 'disk.img')]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: `error: cannot write ${join(dir, 'no-such-dir', 'disk.img')}: ENOENT\n`,
    });
  });
});
