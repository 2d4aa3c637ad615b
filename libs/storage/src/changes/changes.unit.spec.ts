import { createHash, randomBytes } from 'node:crypto';
import { applyChanges, changeStreamOf, type ImageChange } from '@snapferry/testing';
import { ChunkBuffers } from '../chunk-buffers';
import { chunkCount } from '../chunking';
import { CorruptChunkError } from '../errors';
import type { Manifest, ManifestChunk } from '../manifest';
import { buildManifest } from '../manifest';
import type { RegionStore } from '../region-store';
import { ChangeStreamWriter, parseChangeStream, type ChangeEvent } from './change-stream';
import { ChangedRangeError, checkRanges } from './changed-ranges';
import { rebuildFromBase } from './rebuild-from-base';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A stream cut into pieces of `size` bytes (1: every record split everywhere). */
async function* piecesOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const changeStream = (changes: ImageChange[], size?: number) =>
  changeStreamOf(new ChangeStreamWriter(), changes, size);

async function collect(events: AsyncIterable<ChangeEvent>) {
  const out: ChangeEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const refusedWith = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChangedRangeError);
  return (error as ChangedRangeError).code;
};

describe('checkRanges (the CLI checks before sending, the region as they stream)', () => {
  it('accepts sorted ranges that touch or leave gaps', () => {
    expect(() =>
      checkRanges(
        [
          { offset: 0, length: 10 },
          { offset: 10, length: 5 },
          { offset: 100, length: 900 },
        ],
        1000,
      ),
    ).not.toThrow();
  });
  it.each([
    ['out of the disk', [{ offset: 990, length: 11 }], 'InvalidParameter.RangeOutOfDisk'],
    [
      'overlapping',
      [
        { offset: 0, length: 10 },
        { offset: 9, length: 1 },
      ],
      'InvalidParameter.RangesOverlap',
    ],
    [
      'unsorted',
      [
        { offset: 50, length: 10 },
        { offset: 0, length: 1 },
      ],
      'InvalidParameter.RangesUnsorted',
    ],
    ['empty', [{ offset: 0, length: 0 }], 'InvalidParameter.Range'],
    ['negative', [{ offset: -1, length: 2 }], 'InvalidParameter.Range'],
  ])('refuses %s ranges', (_what, ranges, code) => {
    let error: unknown;
    try {
      checkRanges(ranges, 1000);
    } catch (e) {
      error = e;
    }
    expect((error as ChangedRangeError).code).toBe(code);
  });
});

describe('parseChangeStream', () => {
  const data = randomBytes(3000);
  const body = changeStream(
    [
      { kind: 'w', offset: 5, bytes: data },
      { kind: 'z', offset: 4000, length: 100 },
    ],
    8192,
  );

  it.each([1, 7, 17, 4096, body.length])(
    'gives the same records whatever the stream was cut into (%d-byte pieces)',
    async (size) => {
      const events = await collect(parseChangeStream(piecesOf(body, size)));
      const bytes = Buffer.concat(events.flatMap((e) => (e.kind === 'bytes' ? [e.bytes] : [])));
      expect(bytes.equals(data)).toBe(true);
      expect(events.filter((e) => e.kind !== 'bytes')).toEqual([
        { kind: 'size', size: 8192 },
        { kind: 'write', offset: 5, length: 3000 },
        { kind: 'zero', offset: 4000, length: 100 },
        { kind: 'end' },
      ]);
    },
  );

  it('refuses a body whose final digest does not match (one byte altered)', async () => {
    const altered = Buffer.from(body);
    altered[100] = altered[100]! ^ 1;
    expect(await refusedWith(collect(parseChangeStream(piecesOf(altered, 64))))).toBe(
      'InvalidParameter.ChangesDigest',
    );
  });

  it.each([
    ['cut inside the data', (b: Buffer) => b.subarray(0, 200)],
    ['cut before the end record', (b: Buffer) => b.subarray(0, b.length - 33)],
    ['bytes after the end', (b: Buffer) => Buffer.concat([b, Buffer.from('x')])],
    ['a wrong magic', (b: Buffer) => Buffer.concat([Buffer.from('rbd diff v1\n'), b.subarray(12)])],
    ['an unknown tag', (b: Buffer) => Buffer.concat([b.subarray(0, 21), Buffer.from('q')])],
  ])('refuses %s (InvalidParameter.ChangesFormat)', async (_what, mangle) => {
    expect(await refusedWith(collect(parseChangeStream(piecesOf(mangle(body), 50))))).toBe(
      'InvalidParameter.ChangesFormat',
    );
  });
});

/** A region in memory: enough of the port for a rebuild. */
function memoryStore() {
  const chunks = new Map<string, Buffer>();
  const reads: string[] = [];
  const store = {
    region: 'ap-guangzhou',
    // Like the filesystem store: into a borrowed buffer where the caller lends them, verified
    // unless the caller verifies itself.
    getChunk: async (digest: string, options?: { buffers?: ChunkBuffers; verify?: boolean }) => {
      reads.push(digest);
      const bytes = chunks.get(digest);
      if (!bytes) throw new Error(`no chunk ${digest}`);
      if (options?.verify !== false && sha256(bytes) !== digest)
        throw new CorruptChunkError({ digest, region: 'ap-guangzhou' }, sha256(bytes));
      const copy = options?.buffers?.borrow(bytes.length) ?? Buffer.alloc(bytes.length);
      bytes.copy(copy);
      return copy;
    },
    putChunk: async (digest: string, bytes: Uint8Array) => {
      expect(sha256(bytes)).toBe(digest);
      const created = !chunks.has(digest);
      chunks.set(digest, Buffer.from(bytes));
      return created;
    },
  } as unknown as RegionStore;
  return { store, chunks, reads };
}

function baseOf(image: Buffer, chunkSize: number, chunks: Map<string, Buffer>): Manifest {
  const list: ManifestChunk[] = [];
  for (let at = 0; at < image.length; at += chunkSize) {
    const bytes = image.subarray(at, at + chunkSize);
    chunks.set(sha256(bytes), Buffer.from(bytes));
    list.push({ digest: sha256(bytes), size: bytes.length });
  }
  return buildManifest({
    snapshotId: 'snap-base0001',
    accountId: 'acct-1',
    chunkSize,
    chunks: list,
    createdAt: new Date(0),
  });
}

describe('rebuildFromBase', () => {
  const chunkSize = 1024;
  const image = randomBytes(10 * chunkSize + 300);

  /** Buffers that were used before (0xee throughout): every byte the ranges leave must be filled. */
  function usedBuffers(): ChunkBuffers {
    const buffers = new ChunkBuffers();
    const lent = Array.from({ length: 12 }, () => buffers.borrow(chunkSize).fill(0xee));
    for (const buffer of lent) buffers.giveBack(buffer);
    return buffers;
  }

  async function rebuild(changes: ImageChange[], size?: number, pieces = 333) {
    const { store, chunks, reads } = memoryStore();
    const base = baseOf(image, chunkSize, chunks);
    reads.length = 0;
    const buffers = usedBuffers();
    const result = await rebuildFromBase({
      store,
      base,
      writer: { accountId: 'acct-1', snapshotId: 'snap-next0001' },
      changes: parseChangeStream(piecesOf(changeStream(changes, size), pieces)),
      maxBytes: 1024 ** 3,
      buffers,
    });
    // Every buffer lent went back: the rebuild holds no memory after its answer.
    expect(buffers.idleByteLength).toBeGreaterThanOrEqual(12 * chunkSize);
    const bytes = Buffer.concat(result.chunks.map((c) => chunks.get(c.digest)!));
    return { result, bytes, reads };
  }

  it('rebuilds only the chunks the ranges touch, the rest of them from the base', async () => {
    const changes: ImageChange[] = [
      { kind: 'w', offset: 100, bytes: randomBytes(50) }, // inside chunk 0
      { kind: 'w', offset: 3 * chunkSize - 10, bytes: randomBytes(20) }, // across chunks 2 and 3
      { kind: 'w', offset: 6 * chunkSize, bytes: randomBytes(chunkSize) }, // chunk 6 whole: no read
    ];
    const { result, bytes, reads } = await rebuild(changes);
    expect(bytes.equals(applyChanges(image, changes))).toBe(true);
    expect(result.stats).toMatchObject({
      rangesWritten: 3,
      bytesWritten: 50 + 20 + chunkSize,
      chunksRebuilt: 4,
      bytesRebuilt: 4 * chunkSize,
      bytesReadFromBase: 3 * chunkSize,
      chunksReused: 7,
    });
    expect(reads).toHaveLength(3);
    expect(result.totalLength).toBe(image.length);
  });

  it('zeroes whole chunks without reading them and partial ones from the base', async () => {
    const changes: ImageChange[] = [
      { kind: 'z', offset: 512, length: 3 * chunkSize }, // half of 0, whole 1 and 2, half of 3
      { kind: 'w', offset: 3 * chunkSize + 600, bytes: randomBytes(10) }, // chunk 3 again
    ];
    const { result, bytes, reads } = await rebuild(changes, undefined, 1);
    expect(bytes.equals(applyChanges(image, changes))).toBe(true);
    expect(reads).toHaveLength(2); // chunks 0 and 3
    expect(result.stats).toMatchObject({
      rangesZeroed: 1,
      bytesZeroed: 3 * chunkSize,
      chunksRebuilt: 2,
    });
  });

  it('keeps the base between several writes and zeros inside one chunk', async () => {
    const changes: ImageChange[] = [
      { kind: 'w', offset: 10, bytes: randomBytes(20) },
      { kind: 'z', offset: 30, length: 40 }, // right after the write
      { kind: 'w', offset: 200, bytes: randomBytes(1) },
      { kind: 'z', offset: 900, length: 200 }, // across chunks 0 and 1
      { kind: 'w', offset: 1500, bytes: randomBytes(100) },
    ];
    const { result, bytes, reads } = await rebuild(changes, undefined, 7);
    expect(bytes.equals(applyChanges(image, changes))).toBe(true);
    expect(reads).toHaveLength(2);
    expect(result.stats.chunksRebuilt).toBe(2);
  });

  it.each([
    ['before a change well into the chunk (verified with the new one)', 10, 500],
    ['after it', 900, 500],
    ['after a change at its start (verified as it is read)', 900, 0],
  ])(
    'refuses a base chunk whose bytes no longer hash to its digest (corrupt %s), storing nothing under a new digest',
    async (_where, at, change) => {
      const { store, chunks } = memoryStore();
      const base = baseOf(image, chunkSize, chunks);
      const digest = base.chunks[2]!.digest;
      const corrupt = Buffer.from(chunks.get(digest)!);
      corrupt[at] = corrupt[at]! ^ 0xff;
      chunks.set(digest, corrupt);
      const stored = chunks.size;
      const error = await rebuildFromBase({
        store,
        base,
        writer: { accountId: 'acct-1', snapshotId: 'snap-next0001' },
        changes: parseChangeStream(
          piecesOf(
            changeStream([{ kind: 'w', offset: 2 * chunkSize + change, bytes: randomBytes(8) }]),
            100,
          ),
        ),
        maxBytes: 1024 ** 3,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptChunkError);
      expect((error as CorruptChunkError).location).toMatchObject({
        digest,
        snapshotId: 'snap-base0001',
        chunkIndex: 2,
      });
      expect(chunks.size).toBe(stored);
    },
  );

  it('reads the base of touched chunks while the changes are still arriving', async () => {
    const { store, chunks } = memoryStore();
    const base = baseOf(image, chunkSize, chunks);
    const read = store.getChunk.bind(store);
    let ended = false;
    let pending = 0;
    let mostPending = 0;
    let readBeforeEnd = 0;
    // Each read answers only once the whole change stream has been read.
    let release!: () => void;
    const streamRead = new Promise<void>((resolve) => (release = resolve));
    store.getChunk = async (digest, options) => {
      if (!ended) readBeforeEnd++;
      mostPending = Math.max(mostPending, ++pending);
      await streamRead;
      pending--;
      return read(digest, options);
    };
    const changes: ImageChange[] = [0, 2, 4].map((k) => ({
      kind: 'w',
      offset: k * chunkSize + 100,
      bytes: randomBytes(10),
    }));
    async function* watched(): AsyncGenerator<Buffer> {
      yield* piecesOf(changeStream(changes), 64);
      ended = true;
      release();
    }
    const result = await rebuildFromBase({
      store,
      base,
      writer: { accountId: 'acct-1', snapshotId: 'snap-next0001' },
      changes: parseChangeStream(watched()),
      maxBytes: 1024 ** 3,
      parallel: 4,
    });
    expect(readBeforeEnd).toBe(3);
    expect(mostPending).toBe(3);
    const bytes = Buffer.concat(result.chunks.map((c) => chunks.get(c.digest)!));
    expect(bytes.equals(applyChanges(image, changes))).toBe(true);
  });

  it('grows the data (zeros past the base) and shrinks it (the cut chunk rebuilt)', async () => {
    const write: ImageChange[] = [{ kind: 'w', offset: 12 * chunkSize, bytes: randomBytes(5) }];
    const grown = await rebuild(write, 14 * chunkSize);
    expect(grown.result.totalLength).toBe(14 * chunkSize);
    expect(grown.bytes.equals(applyChanges(image, write, 14 * chunkSize))).toBe(true);
    const shrunk = await rebuild([], 4 * chunkSize + 7);
    expect(shrunk.bytes.equals(image.subarray(0, 4 * chunkSize + 7))).toBe(true);
    expect(shrunk.result.chunks).toHaveLength(chunkCount(4 * chunkSize + 7, chunkSize));
  });

  it.each([
    [
      'out of the disk',
      [{ kind: 'w', offset: image.length - 1, bytes: randomBytes(2) }],
      'InvalidParameter.RangeOutOfDisk',
    ],
    [
      'overlapping',
      [
        { kind: 'w', offset: 0, bytes: randomBytes(10) },
        { kind: 'z', offset: 5, length: 10 },
      ],
      'InvalidParameter.RangesOverlap',
    ],
    [
      'unsorted',
      [
        { kind: 'z', offset: 5000, length: 10 },
        { kind: 'w', offset: 0, bytes: randomBytes(10) },
      ],
      'InvalidParameter.RangesUnsorted',
    ],
  ] as [string, ImageChange[], string][])('refuses %s ranges', async (_what, changes, code) => {
    expect(await refusedWith(rebuild(changes))).toBe(code);
  });

  it('refuses a size past the disk', async () => {
    const { store, chunks } = memoryStore();
    const code = await refusedWith(
      rebuildFromBase({
        store,
        base: baseOf(image, chunkSize, chunks),
        writer: { accountId: 'acct-1', snapshotId: 'snap-next0001' },
        changes: parseChangeStream(piecesOf(changeStream([], 2 * image.length), 100)),
        maxBytes: image.length,
      }),
    );
    expect(code).toBe('UnsupportedOperation.SnapshotDataTooLarge');
  });
});
