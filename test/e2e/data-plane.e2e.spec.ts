import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FilesystemRegionStore, storeStream } from '@snapferry/storage';
import { join } from 'node:path';
import { waitFor } from '@snapferry/testing';
import { keys, normalSnapshot, startTestStack, type TestStack } from '../support/catalog-harness';

const MiB = 1024 * 1024;

async function chunkCount(dataDir: string, region: string): Promise<number> {
  const root = join(dataDir, region, 'chunks');
  const dirs = await readdir(root).catch(() => [] as string[]);
  let n = 0;
  for (const d of dirs) n += (await readdir(join(root, d))).length;
  return n;
}

describe('data plane end to end: incremental copies and freeing deleted data', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({
      catalogEnv: {
        SNAPFERRY_CHUNK_SIZE: String(MiB),
        SNAPFERRY_GC_GRACE_MS: '0',
        SNAPFERRY_GC_INTERVAL_MS: '0',
      },
      replicatorEnv: { REPLICATOR_REGIONS: 'ap-shanghai' },
    });
  });
  afterAll(() => t?.stop());

  const alice = () => t.api.as(keys.alice);
  const copyAndWait = async (id: string) => {
    const copy = await alice().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    const { snapshotId, replicationId } = copy.body.results[0];
    await waitFor(
      async () => (await alice().get(`/v1/snapshots/${snapshotId}`)).body.state === 'NORMAL',
      { what: 'copy NORMAL', timeoutMs: 60_000 },
    );
    return { snapshotId, job: (await alice().get(`/v1/replications/${replicationId}`)).body };
  };

  it('a second snapshot of the same disk with 1 MiB changed of 24 MiB moves one chunk, and reads back identical', async () => {
    const first = randomBytes(24 * MiB);
    const firstId = await normalSnapshot(t.api, keys.alice, {
      bytes: first,
      diskId: 'disk-incr0001',
    });
    const cold = await copyAndWait(firstId);
    expect(cold.job).toMatchObject({
      state: 'COMPLETED',
      chunksCopied: 24,
      chunksSkipped: 0,
      bytesTransferred: 24 * MiB,
    });

    const second = Buffer.from(first);
    randomBytes(MiB).copy(second, 10 * MiB); // one aligned MiB changed
    const secondId = await normalSnapshot(t.api, keys.alice, {
      bytes: second,
      diskId: 'disk-incr0001',
    });
    const incremental = await copyAndWait(secondId);
    expect(incremental.job).toMatchObject({
      state: 'COMPLETED',
      chunksCopied: 1,
      chunksSkipped: 23,
      bytesTransferred: MiB,
      bytesCopied: 24 * MiB,
      percent: 100,
    });

    const readBack = await alice().get(`/v1/snapshots/${incremental.snapshotId}/data`);
    expect(Buffer.compare(readBack.body, second)).toBe(0);
  });

  it('deleting snapshots frees the chunks nothing else references, and keeps shared ones', async () => {
    const a = randomBytes(4 * MiB);
    const b = Buffer.concat([a.subarray(0, 2 * MiB), randomBytes(2 * MiB)]); // shares 2 chunks with a
    const before = await chunkCount(t.dataDir, 'ap-guangzhou');
    const idA = await normalSnapshot(t.api, keys.alice, { bytes: a, diskId: 'disk-gc000001' });
    const idB = await normalSnapshot(t.api, keys.alice, { bytes: b, diskId: 'disk-gc000001' });
    expect(await chunkCount(t.dataDir, 'ap-guangzhou')).toBe(before + 6);

    expect((await alice().delete(`/v1/snapshots/${idA}`)).status).toBe(204);
    await waitFor(async () => (await chunkCount(t.dataDir, 'ap-guangzhou')) === before + 4, {
      what: 'chunks of A freed',
      timeoutMs: 20_000,
    });
    const stillB = await alice().get(`/v1/snapshots/${idB}/data`);
    expect(Buffer.compare(stillB.body, b)).toBe(0);

    expect((await alice().delete(`/v1/snapshots/${idB}`)).status).toBe(204);
    await waitFor(async () => (await chunkCount(t.dataDir, 'ap-guangzhou')) === before, {
      what: 'chunks of B freed',
      timeoutMs: 20_000,
    });
  });

  it('a manifest that outlived its deleted snapshot is dropped, and its chunks freed', async () => {
    const image = randomBytes(2 * MiB);
    const before = await chunkCount(t.dataDir, 'ap-guangzhou');
    const id = await normalSnapshot(t.api, keys.alice, { bytes: image, diskId: 'disk-gc000002' });
    const manifestPath = join(t.dataDir, 'ap-guangzhou', 'manifests', `${id}.json`);
    const manifest = await readFile(manifestPath);
    expect((await alice().delete(`/v1/snapshots/${id}`)).status).toBe(204);
    await waitFor(async () => (await chunkCount(t.dataDir, 'ap-guangzhou')) === before, {
      what: 'chunks freed',
      timeoutMs: 20_000,
    });
    // As if an upload's late manifest had survived its failed cleanup: chunks and manifest back.
    const store = new FilesystemRegionStore(t.dataDir, 'ap-guangzhou');
    await storeStream(store, 'snap-1e000001', Readable.from([image]), {
      accountId: 'acme',
      chunkSize: MiB,
    });
    await rename(join(t.dataDir, 'ap-guangzhou', 'manifests', 'snap-1e000001.json'), manifestPath);
    await writeFile(manifestPath, manifest);
    expect(await chunkCount(t.dataDir, 'ap-guangzhou')).toBe(before + 2);

    // Another deletion makes the region due for a sweep, which finds the leftover.
    const other = await normalSnapshot(t.api, keys.alice, { diskId: 'disk-gc000003' });
    expect((await alice().delete(`/v1/snapshots/${other}`)).status).toBe(204);
    await waitFor(async () => (await chunkCount(t.dataDir, 'ap-guangzhou')) === before, {
      what: 'the leftover manifest dropped and its chunks freed',
      timeoutMs: 20_000,
    });
    await expect(readFile(manifestPath)).rejects.toThrow(/ENOENT/);
  });
});
