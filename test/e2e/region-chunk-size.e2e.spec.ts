import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeStreamWriter } from '@snapferry/storage';
import { waitFor } from '@snapferry/testing';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { runCliJson } from '../support/cli-process';
import { registration, rootOf } from '../support/e2e-helpers';
import { writeRegionsFile } from '../support/regions-file';

const KiB = 1024;
const defaultChunkSize = 64 * KiB; // the harness's SNAPFERRY_CHUNK_SIZE
const guangzhouChunkSize = 128 * KiB; // the regions file's chunkSize for ap-guangzhou
/** A region's own chunk size (the regions file's `chunkSize`) against the real stack. */
describe('per-region chunk size', () => {
  let t: TestStack;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-chunk-size-'));
    const regionsFile = await writeRegionsFile(dir, {
      'ap-guangzhou': { chunkSize: guangzhouChunkSize },
    });
    t = await startTestStack({ catalogEnv: { SNAPFERRY_REGIONS_FILE: regionsFile } });
  });
  afterAll(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const as = () => t.api.as(keys.alice);
  const cli = (args: string[]) => runCliJson(args, { url: t.url, key: keys.alice });

  it('lists each region with the chunk size its uploads use', async () => {
    const regions = new Map<string, { chunkSize: number }>(
      (await as().get('/v1/regions')).body.regions.map((r: { id: string; chunkSize: number }) => [
        r.id,
        r,
      ]),
    );
    expect(regions.get('ap-guangzhou')?.chunkSize).toBe(guangzhouChunkSize);
    expect(regions.get('ap-shanghai')?.chunkSize).toBe(defaultChunkSize);
  });

  it("stores uploads in the region's chunks; the CLI chunks the same way, copies keep the source's chunks and a change rebuilds one of them", async () => {
    const image = randomBytes(8 * guangzhouChunkSize + 1234);
    const created = await as().post('/v1/snapshots', registration({ diskId: 'disk-chunk001' }));
    const first = created.body.snapshotId as string;
    expect((await as().put(`/v1/snapshots/${first}/data`, image)).status).toBe(200);
    const read = await as().get(`/v1/snapshots/${first}/data`);
    expect(read.headers.get('x-snapferry-chunk-size')).toBe(String(guangzhouChunkSize));
    expect((await as().get(`/v1/snapshots/${first}`)).body.root).toBe(
      rootOf(image, guangzhouChunkSize),
    );

    // The next day's image through the CLI: hashed in the region's chunks, so only the changed
    // chunk is sent (with the catalog's default 64 KiB chunks it would share none).
    const next = Buffer.from(image);
    randomBytes(100).copy(next, 3 * guangzhouChunkSize + 10);
    await writeFile(join(dir, 'next.img'), next);
    const uploaded = await cli([
      ...['snapshot', 'create', '--region', 'ap-guangzhou', '--disk', 'disk-chunk001'],
      ...['--file', join(dir, 'next.img')],
    ]);
    expect(uploaded).toMatchObject({ state: 'NORMAL', root: rootOf(next, guangzhouChunkSize) });
    expect(uploaded.chunksSkipped).toBe(8); // all but the changed one
    expect(uploaded.bytesUploaded).toBe(guangzhouChunkSize);

    // A copy into a region of the default chunk size keeps the source's chunks and root.
    const copy = await as().post(`/v1/snapshots/${uploaded.snapshotId}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    const target = copy.body.results[0].snapshotId as string;
    await waitFor(async () => (await as().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL', {
      what: `copy ${target} NORMAL`,
    });
    const copied = await as().get(`/v1/snapshots/${target}/data`);
    expect(copied.headers.get('x-snapferry-chunk-size')).toBe(String(guangzhouChunkSize));
    expect(Buffer.compare(copied.body, next)).toBe(0);
    expect((await as().get(`/v1/snapshots/${target}`)).body.root).toBe(
      rootOf(next, guangzhouChunkSize),
    );

    // A snapshot from that base plus 10 changed bytes rebuilds one 128 KiB chunk.
    const fromBase = await as().post(
      '/v1/snapshots',
      registration({ diskId: 'disk-chunk001', baseSnapshotId: uploaded.snapshotId }),
    );
    const w = new ChangeStreamWriter();
    const bytes = randomBytes(10);
    const stored = await as().post(
      `/v1/snapshots/${fromBase.body.snapshotId}/data/changes`,
      Buffer.concat([w.header(), w.write(5 * guangzhouChunkSize + 7, 10), w.bytes(bytes), w.end()]),
    );
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ chunksRebuilt: 1, bytesRebuilt: guangzhouChunkSize });
    const changed = Buffer.from(next);
    bytes.copy(changed, 5 * guangzhouChunkSize + 7);
    expect(stored.body.snapshot.root).toBe(rootOf(changed, guangzhouChunkSize));
  });
});
