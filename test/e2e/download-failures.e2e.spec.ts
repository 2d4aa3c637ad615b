import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  keys,
  normalSnapshot,
  startTestCatalog,
  type TestCatalog,
} from '../support/catalog-harness';

const chunkSize = 64 * 1024; // the harness's SNAPFERRY_CHUNK_SIZE
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A download whose data turns out damaged as it streams: the headers are out, so the client
 * only sees the connection cut; the operator sees why in the log and in /metrics.
 */
describe('a download cut off by damaged data', () => {
  let t: TestCatalog;
  let errors: jest.SpyInstance;
  beforeAll(async () => {
    t = await startTestCatalog();
    errors = jest.spyOn(t.catalog.logger, 'error');
  });
  afterAll(() => t?.stop());
  beforeEach(() => errors.mockClear());

  const chunkFile = (digest: string) =>
    join(t.dataDir, 'ap-guangzhou', 'chunks', digest.slice(0, 2), digest);
  /** The snapshot's bytes as a client reads them: what arrived before the cut, and whether it was cut. */
  const download = async (id: string) => {
    const response = await fetch(`${t.url}/v1/snapshots/${id}/data`, {
      headers: { authorization: `Bearer ${keys.alice}` },
    });
    expect(response.status).toBe(200);
    return response.arrayBuffer().then(
      () => 'complete',
      () => 'cut off',
    );
  };
  const failures = async (reason: string) => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('snapferry_download_failures_total{') &&
          l.includes(`reason="${reason}"`) &&
          l.includes('region="ap-guangzhou"'),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const loggedFailure = (id: string) =>
    errors.mock.calls.find(
      ([fields]) => (fields as { snapshotId?: string } | undefined)?.snapshotId === id,
    )?.[0] as { reason: string; region: string; err: Error } | undefined;

  it.each([
    ['corrupt', 'Storage.CorruptChunk', /is corrupt/],
    ['missing', 'Storage.MissingChunk', /is missing/],
  ] as const)(
    'a %s chunk: the download is cut off, logged with its reason and counted by reason',
    async (_, reason, message) => {
      const image = randomBytes(3 * chunkSize);
      const id = await normalSnapshot(t.api, keys.alice, { bytes: image });
      const file = chunkFile(sha256(image.subarray(chunkSize, 2 * chunkSize)));
      if (reason === 'Storage.CorruptChunk') {
        const bytes = await readFile(file);
        bytes[7] = bytes[7]! ^ 0xff;
        await writeFile(file, bytes);
      } else await rm(file);
      const before = await failures(reason);

      expect(await download(id)).toBe('cut off');
      expect(await failures(reason)).toBe(before + 1);
      expect(loggedFailure(id)).toEqual(
        expect.objectContaining({
          reason,
          region: 'ap-guangzhou',
          err: expect.objectContaining({ message: expect.stringMatching(message) }),
        }),
      );
    },
  );

  it('a client that hangs up mid-download is neither an error line nor a failure', async () => {
    const image = randomBytes(40 * chunkSize);
    const id = await normalSnapshot(t.api, keys.alice, { bytes: image });
    const hangUp = new AbortController();
    const response = await fetch(`${t.url}/v1/snapshots/${id}/data`, {
      headers: { authorization: `Bearer ${keys.alice}` },
      signal: hangUp.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    hangUp.abort();
    await sleep(300);
    expect(loggedFailure(id)).toBeUndefined();
    expect(await failures('Internal')).toBe(0);
  });
});
