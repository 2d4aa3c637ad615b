import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { parseChangeStream, type ChangeEvent } from '@snapferry/storage';
import type { HttpAnswer, HttpInit } from '../http-transport';
import { cli } from '../spec-helpers';
import { newCounters, rbdBody, rbdDiffStart } from './change-body';
import { parseRangesList } from './ranges-file';
import { parseRbdDiff, type RbdDiffEvent } from './rbd-diff';

async function* piecesOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of events) out.push(e);
  return out;
}
const le64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const name = (tag: string, snapshot: string, v2: boolean) => {
  const payload = Buffer.concat([le32(snapshot.length), Buffer.from(snapshot)]);
  return Buffer.concat([Buffer.from(tag), ...(v2 ? [le64(payload.length)] : []), payload]);
};

/** An rbd export-diff stream as Ceph's doc/dev/rbd-diff.rst describes v1 and v2. */
function rbdDiff(version: 1 | 2, data: Buffer, extra: Buffer[] = []): Buffer {
  const v2 = version === 2;
  const len = (n: number) => (v2 ? [le64(n)] : []);
  return Buffer.concat([
    Buffer.from(`rbd diff v${version}\n`),
    name('f', 'mon', v2),
    name('t', 'tue', v2),
    Buffer.from('s'),
    ...len(8),
    le64(1 << 30),
    ...extra,
    Buffer.from('w'),
    ...len(16 + data.length),
    le64(4096),
    le64(data.length),
    data,
    Buffer.from('z'),
    ...len(16),
    le64(1 << 20),
    le64(65536),
    Buffer.from('e'),
  ]);
}

const data = randomBytes(3000);
const expected = [
  { kind: 'from', snapshot: 'mon' },
  { kind: 'to', snapshot: 'tue' },
  { kind: 'size', size: 1 << 30 },
  { kind: 'write', offset: 4096, length: 3000 },
  { kind: 'zero', offset: 1 << 20, length: 65536 },
  { kind: 'end' },
];
const withoutBytes = (events: RbdDiffEvent[]) => events.filter((e) => e.kind !== 'bytes');
const bytesOf = (events: (RbdDiffEvent | ChangeEvent)[]) =>
  Buffer.concat(events.flatMap((e) => (e.kind === 'bytes' ? [e.bytes] : [])));

describe('parseRbdDiff (Ceph rbd export-diff, v1 and v2)', () => {
  it.each([
    [1, 1],
    [1, 13],
    [1, 4096],
    [2, 1],
    [2, 7],
    [2, 100_000],
  ] as const)('v%d cut into %d-byte pieces: the same records', async (version, size) => {
    const events = await collect(parseRbdDiff(piecesOf(rbdDiff(version, data), size)));
    expect(withoutBytes(events)).toEqual(expected);
    expect(bytesOf(events).equals(data)).toBe(true);
  });

  it('v2 skips a record it does not know (its length says how far)', async () => {
    const unknown = Buffer.concat([Buffer.from('m'), le64(5), Buffer.from('hello')]);
    const events = await collect(parseRbdDiff(piecesOf(rbdDiff(2, data, [unknown]), 3)));
    expect(withoutBytes(events)).toEqual(expected);
  });

  it('v2 reads the protection status record as rbd writes it (length 8, one byte)', async () => {
    const protection = Buffer.concat([Buffer.from('p'), le64(8), Buffer.from([1])]);
    const events = await collect(parseRbdDiff(piecesOf(rbdDiff(2, data, [protection]), 5)));
    expect(withoutBytes(events)).toEqual(expected);
  });

  it.each([
    ['a wrong header', Buffer.from('rbd image v2\n')],
    ['a cut stream', rbdDiff(1, data).subarray(0, 100)],
    ['no end record', rbdDiff(1, data).subarray(0, -1)],
    ['an unknown v1 tag', Buffer.concat([Buffer.from('rbd diff v1\n'), Buffer.from('m')])],
  ])('refuses %s', async (_what, bytes) => {
    await expect(collect(parseRbdDiff(piecesOf(bytes, 50)))).rejects.toThrow(
      /not a valid rbd export-diff stream/,
    );
  });
});

describe('rbdBody (an rbd diff as a change stream, as it arrives)', () => {
  it('carries the size, every write with its bytes and every zero; the region parses it back', async () => {
    const counters = newCounters();
    const start = await rbdDiffStart(parseRbdDiff(piecesOf(rbdDiff(2, data), 777)));
    expect(start).toMatchObject({ from: 'mon', to: 'tue', size: 1 << 30 });
    const body = Buffer.concat(await collect(rbdBody(start, counters)));
    const events = await collect(parseChangeStream(piecesOf(body, 100)));
    expect(events.filter((e) => e.kind !== 'bytes')).toEqual(expected.slice(2));
    expect(bytesOf(events).equals(data)).toBe(true);
    expect(counters).toMatchObject({ bytesRead: 3000, bytesSent: body.length });
  });
});

describe('parseRangesList (--changed-ranges)', () => {
  it('reads {offset, length} lists, merging adjacent ranges of a kind', () => {
    expect(
      parseRangesList(
        JSON.stringify([
          { offset: 0, length: 10 },
          { offset: 10, length: 5 },
          { offset: 15, length: 5, zero: true },
          { offset: 100, length: 1 },
        ]),
        'r.json',
      ),
    ).toEqual([
      { offset: 0, length: 15, zero: false },
      { offset: 15, length: 5, zero: true },
      { offset: 100, length: 1, zero: false },
    ]);
  });

  it('reads qemu-img map --output=json of an overlay: depth 0 is what changed, zero entries are zeros', () => {
    const map = [
      { start: 0, length: 65536, depth: 1, present: true, zero: false, data: true, offset: 0 },
      {
        start: 65536,
        length: 65536,
        depth: 0,
        present: true,
        zero: false,
        data: true,
        offset: 327680,
      },
      { start: 131072, length: 131072, depth: 0, present: true, zero: true, data: false },
      { start: 262144, length: 65536, depth: 1, present: false, zero: true, data: false },
    ];
    expect(parseRangesList(JSON.stringify(map), 'map.json')).toEqual([
      { offset: 65536, length: 65536, zero: false },
      { offset: 131072, length: 131072, zero: true },
    ]);
  });

  it.each([
    ['not JSON', '{'],
    ['not a list', '{"offset": 1}'],
    ['a bad entry', '[{"offset": -1, "length": 1}]'],
    ['an empty range', '[{"offset": 0, "length": 0}]'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseRangesList(text, 'r.json')).toThrow(/r\.json/);
  });
});

/** An answer as the HTTP transport gives it. */
function answer(status: number, body: unknown): HttpAnswer {
  const text = JSON.stringify(body);
  return {
    status,
    ok: status < 300,
    statusText: '',
    headers: { get: (header) => (header === 'content-type' ? 'application/json' : null) },
    body: null,
    json: async () => JSON.parse(text) as unknown,
    text: async () => text,
  };
}

const baseSnapshot = {
  snapshotId: 'snap-base0001',
  region: 'ap-guangzhou',
  diskId: 'disk-rbd00001',
  diskSizeGiB: 1,
  state: 'NORMAL',
  sizeBytes: 1 << 30,
};

describe('snapshot create --base --rbd-diff - (against a fake API)', () => {
  it('reads the diff while the base is asked for, then registers and sends the changes', async () => {
    let read = false;
    const diff = rbdDiff(1, data);
    // Standard input that says when it was first read.
    const stdin = new Readable({
      read() {
        read = true;
        this.push(diff);
        this.push(null);
      },
    });
    const calls: string[] = [];
    let readBeforeBaseAnswered = false;
    let sent: ChangeEvent[] = [];
    const fetch = async (url: string, init: HttpInit): Promise<HttpAnswer> => {
      const path = new URL(url).pathname;
      calls.push(`${init.method} ${path}`);
      if (init.method === 'GET') {
        // The base answers only once the diff was read (or after a second, too late).
        for (let waited = 0; !read && waited < 1000; waited += 10)
          await new Promise((done) => setTimeout(done, 10));
        readBeforeBaseAnswered = read;
        return answer(200, baseSnapshot);
      }
      if (path === '/v1/snapshots')
        return answer(201, { ...baseSnapshot, snapshotId: 'snap-new00001', state: 'CREATING' });
      sent = await collect(
        parseChangeStream(Readable.from(init.body as AsyncIterable<Uint8Array>)),
      );
      return answer(200, {
        snapshot: { ...baseSnapshot, snapshotId: 'snap-new00001' },
        rangesWritten: 1,
      });
    };
    const run = await cli(
      ['snapshot', 'create', '--base', 'snap-base0001', '--rbd-diff', '-', '--json'],
      fetch,
      undefined,
      stdin,
    );
    expect(run.code).toBe(0);
    expect(readBeforeBaseAnswered).toBe(true);
    expect(calls).toEqual([
      'GET /v1/snapshots/snap-base0001',
      'POST /v1/snapshots',
      'POST /v1/snapshots/snap-new00001/data/changes',
    ]);
    expect(bytesOf(sent)).toEqual(data);
    expect(JSON.parse(run.stdout)).toMatchObject({
      rbd: { fromSnapshot: 'mon', toSnapshot: 'tue' },
    });
  });

  it('a refused base ends the command at once, the diff still arriving left unread', async () => {
    const stdin = new PassThrough();
    stdin.write(Buffer.from('rbd diff v1\n')); // and never more: the producer is still running
    const calls: string[] = [];
    const fetch = async (url: string, init: HttpInit): Promise<HttpAnswer> => {
      calls.push(`${init.method} ${new URL(url).pathname}`);
      return answer(404, {
        error: { code: 'ResourceNotFound.Snapshot', message: 'snapshot snap-nope0001 not found' },
      });
    };
    const run = await cli(
      ['snapshot', 'create', '--base', 'snap-nope0001', '--rbd-diff', '-'],
      fetch,
      undefined,
      stdin,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ResourceNotFound.Snapshot');
    expect(calls).toEqual(['GET /v1/snapshots/snap-nope0001']);
    expect(stdin.destroyed).toBe(true);
  });

  it('a diff file it cannot read is a usage error, and nothing is registered', async () => {
    const calls: string[] = [];
    const fetch = async (url: string, init: HttpInit): Promise<HttpAnswer> => {
      calls.push(`${init.method} ${new URL(url).pathname}`);
      return answer(200, baseSnapshot);
    };
    const missing = '/nonexistent/snapferry/tue.diff';
    const run = await cli(
      ['snapshot', 'create', '--base', 'snap-base0001', '--rbd-diff', missing],
      fetch,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot read ${missing}: ENOENT`);
    expect(calls).toEqual(['GET /v1/snapshots/snap-base0001']);
  });
});
