import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { manifestRoot } from '@snapferry/storage';
import type { Fetch } from './api-client';
import { hashImageFile } from './image-hash';
import { cli } from './spec-helpers';

const chunkSize = 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapferry-cli-upload-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function imageFile(bytes: Buffer): Promise<string> {
  const path = join(dir, `${randomBytes(4).toString('hex')}.img`);
  await writeFile(path, bytes);
  return path;
}

describe('hashImageFile (the image read once from disk)', () => {
  it.each([0, 1, chunkSize, chunkSize + 1, 9 * chunkSize + 3])(
    'a %d-byte image: each chunk digest, the image digest and the root',
    async (length) => {
      const bytes = randomBytes(length);
      const progress: number[] = [];
      const hashed = await hashImageFile(await imageFile(bytes), chunkSize, (n) =>
        progress.push(n),
      );
      const chunks = [];
      for (let offset = 0; offset < length; offset += chunkSize) {
        const chunk = bytes.subarray(offset, offset + chunkSize);
        chunks.push({ digest: sha256(chunk), size: chunk.length });
      }
      expect(hashed).toEqual({
        chunkSize,
        length,
        imageDigest: sha256(bytes),
        root: manifestRoot(chunks),
        chunks,
      });
      expect(progress.at(-1) ?? 0).toBe(length);
    },
  );
});

/**
 * A catalog in miniature for the CLI's upload: a region holding some chunks, a manifest check
 * like the real one, and hooks to fail or delay calls.
 */
function fakeCatalog(
  held: Set<string>,
  hooks: { beforePut?: (digest: string) => Error | void; holdUntilInFlight?: number } = {},
) {
  const puts: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let declared: any;
  const fetch: Fetch = async (input, init) => {
    const url = new URL(input);
    const method = init?.method ?? 'GET';
    // The snapshot's region has its own chunk size: the catalog's default would share nothing.
    if (url.pathname === '/v1/regions')
      return json(200, {
        regions: [{ id: 'ap-guangzhou', chunkSize }],
        geoRestrictions: [],
        chunkSize: 4 * 1024 * 1024,
      });
    if (method === 'GET' && url.pathname === '/v1/snapshots/snap-aaaa0001')
      return json(200, { snapshotId: 'snap-aaaa0001', region: 'ap-guangzhou', state: 'CREATING' });
    if (method === 'POST' && url.pathname.endsWith('/data/manifest')) {
      declared = JSON.parse(init?.body as string);
      if (declared.root !== manifestRoot(declared.chunks))
        return json(400, { error: { code: 'InvalidParameter.ManifestRoot', message: 'bad root' } });
      const missing = [...new Set<string>(declared.chunks.map((c: any) => c.digest))].filter(
        (d) => !held.has(d),
      );
      if (missing.length > 0)
        return json(200, {
          missing,
          chunksTotal: declared.chunks.length,
          chunksMissing: missing.length,
          bytesMissing: missing.length * chunkSize,
          state: 'CREATING',
        });
      return json(200, {
        missing: [],
        chunksTotal: declared.chunks.length,
        chunksMissing: 0,
        bytesMissing: 0,
        state: 'NORMAL',
        snapshot: {
          snapshotId: 'snap-aaaa0001',
          state: 'NORMAL',
          digest: declared.imageDigest,
          copyingToRegions: [],
        },
      });
    }
    if (method === 'PUT' && url.pathname.includes('/data/chunks/')) {
      const digest = url.pathname.split('/').at(-1)!;
      puts.push(digest);
      const failure = hooks.beforePut?.(digest);
      if (failure) throw failure;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // hold each chunk until eight are in flight at once (or a second has passed), so a slow
      // machine still shows whether the CLI sends eight together, and never more
      const until = Date.now() + 1000;
      while (maxInFlight < (hooks.holdUntilInFlight ?? 0) && Date.now() < until) await sleep(5);
      await sleep(5);
      inFlight--;
      const body = init?.body as Uint8Array;
      if (sha256(body) !== digest)
        return json(400, {
          error: { code: 'InvalidParameter.ChunkDigestMismatch', message: 'no' },
        });
      const created = !held.has(digest);
      held.add(digest);
      return json(created ? 201 : 200, { digest, size: body.length, created });
    }
    return json(404, { error: { code: 'ResourceNotFound.Route', message: url.pathname } });
  };
  return { fetch, puts, declared: () => declared, maxInFlight: () => maxInFlight };
}

const resetOnce = () => {
  const failed = new Set<string>();
  return (digest: string) => {
    if (failed.has(digest)) return;
    failed.add(digest);
    return Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
  };
};

describe('snapferry snapshot upload (incremental, against a fake catalog)', () => {
  it('sends only the chunks the region lacks, eight at a time, retrying network errors, then commits', async () => {
    const bytes = randomBytes(20 * chunkSize + 100);
    const chunks = Array.from({ length: 21 }, (_, i) =>
      sha256(bytes.subarray(i * chunkSize, (i + 1) * chunkSize)),
    );
    const held = new Set(chunks.slice(0, 8)); // the region has the first 8 already
    const catalog = fakeCatalog(held, { beforePut: resetOnce(), holdUntilInFlight: 8 });
    const run = await cli(
      ['snapshot', 'upload', 'snap-aaaa0001', '--file', await imageFile(bytes), '--json'],
      catalog.fetch,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      snapshotId: 'snap-aaaa0001',
      state: 'NORMAL',
      bytesUploaded: 12 * chunkSize + 100,
      bytesSkipped: 8 * chunkSize,
      chunksUploaded: 13,
      chunksSkipped: 8,
    });
    expect(catalog.declared()).toMatchObject({ chunkSize, imageDigest: sha256(bytes) });
    // each missing chunk failed once (connection reset) and was sent again; no held chunk was sent
    expect([...new Set(catalog.puts)].sort()).toEqual(chunks.slice(8).sort());
    expect(catalog.puts).toHaveLength(2 * 13);
    expect(catalog.maxInFlight()).toBe(8);
  });

  it('says how much it skipped on the progress bar', async () => {
    const bytes = randomBytes(4 * chunkSize);
    const held = new Set(
      [0, 1, 2].map((i) => sha256(bytes.subarray(i * chunkSize, (i + 1) * chunkSize))),
    );
    const run = await cli(
      ['snapshot', 'upload', 'snap-aaaa0001', '--file', await imageFile(bytes), '--progress'],
      fakeCatalog(held).fetch,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /upload snap-aaaa0001 \[.*\] 100% uploaded 1.00 KiB of 4.00 KiB, 3 chunks already in the region/,
    );
    expect(run.stdout).toMatch(/uploaded 1.00 KiB of 4.00 KiB, 3 chunks already in the region\n$/);
  });

  it('gives up on a chunk after four network errors (exit 4), and a refusal is not retried (exit 1)', async () => {
    const bytes = randomBytes(2 * chunkSize);
    const down = fakeCatalog(new Set(), {
      beforePut: () =>
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    });
    const file = await imageFile(bytes);
    const unreachable = await cli(
      ['snapshot', 'upload', 'snap-aaaa0001', '--file', file],
      down.fetch,
    );
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toMatch(/^error: cannot reach the API at .*: ECONNREFUSED\n$/);
    expect(down.puts.filter((d) => d === down.puts[0])).toHaveLength(4);

    const full = fakeCatalog(new Set(), { beforePut: () => undefined });
    const storageFull: Fetch = async (input, init) =>
      init?.method === 'PUT'
        ? (full.puts.push('put'),
          json(507, { error: { code: 'ResourceInsufficient.StorageFull', message: 'full' } }))
        : full.fetch(input, init);
    const refused = await cli(['snapshot', 'upload', 'snap-aaaa0001', '--file', file], storageFull);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: ResourceInsufficient\.StorageFull: full\n$/);
    expect(full.puts.length).toBeLessThanOrEqual(2); // no retries of a refusal
  });

  it('says the file changed when the catalog finds a chunk does not match its digest', async () => {
    const bytes = randomBytes(2 * chunkSize);
    const file = await imageFile(bytes);
    const catalog = fakeCatalog(new Set());
    const changing: Fetch = async (input, init) => {
      const answer = await catalog.fetch(input, init);
      if (input.endsWith('/data/manifest')) await writeFile(file, randomBytes(2 * chunkSize));
      return answer;
    };
    const run = await cli(['snapshot', 'upload', 'snap-aaaa0001', '--file', file], changing);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/changed while it was being uploaded/);
    expect(catalog.puts.length).toBeGreaterThan(0); // the catalog's own check caught it
  });
});
