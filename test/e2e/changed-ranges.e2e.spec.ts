import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeStreamWriter } from '@snapferry/storage';
import {
  applyChanges,
  changeStreamOf,
  rbdDiffV1,
  type ImageChange,
  waitFor,
} from '@snapferry/testing';
import { keys, startTestStack, type TestStack } from '../support/catalog-harness';
import { runCli, runCliJson } from '../support/cli-process';
import {
  eventCount,
  expectError,
  putEarlyAnswered,
  registered,
  registration,
  rootOf as rootOfChunks,
} from '../support/e2e-helpers';

const chunkSize = 64 * 1024; // the harness's SNAPFERRY_CHUNK_SIZE
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const changeStream = (changes: ImageChange[], size?: number) =>
  changeStreamOf(new ChangeStreamWriter(), changes, size);

const rootOf = (image: Buffer) => rootOfChunks(image, chunkSize);

/** A snapshot from its base plus changed ranges, against the real stack. */
describe('changed-block snapshots (baseSnapshotId + POST …/data/changes)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(() => t?.stop());
  const as = (key = keys.alice) => t.api.as(key);
  const register = (over: Record<string, unknown> = {}, key = keys.alice) =>
    registered(t.api, over, key);
  const base = async (image: Buffer, over: Record<string, unknown> = {}, key = keys.alice) => {
    const id = await register(over, key);
    expect((await as(key).put(`/v1/snapshots/${id}/data`, image)).status).toBe(200);
    return id;
  };
  const sendChanges = (id: string, body: Buffer, key = keys.alice) =>
    as(key).post(`/v1/snapshots/${id}/data/changes`, body);

  const image = randomBytes(10 * chunkSize + 1234);

  it('builds the new snapshot from the base and the ranges, reads back byte-identical, and a copy verifies by its root', async () => {
    const baseId = await base(image, { diskId: 'disk-chg00001' });
    const changes: ImageChange[] = [
      { kind: 'w', offset: 100, bytes: randomBytes(4096) }, // inside chunk 0
      { kind: 'w', offset: 3 * chunkSize - 10, bytes: randomBytes(20) }, // across 2 and 3
      { kind: 'z', offset: 5 * chunkSize, length: 2 * chunkSize }, // a trim of chunks 5 and 6
      { kind: 'w', offset: image.length - 5, bytes: randomBytes(5) }, // the last bytes
    ];
    const expected = applyChanges(image, changes);
    const id = await register({ diskId: 'disk-chg00001', baseSnapshotId: baseId });
    expect((await as().get(`/v1/snapshots/${id}`)).body).toMatchObject({
      state: 'CREATING',
      baseSnapshotId: baseId,
    });
    const stored = await sendChanges(id, changeStream(changes));
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      rangesWritten: 3,
      rangesZeroed: 1,
      bytesWritten: 4096 + 20 + 5,
      bytesZeroed: 2 * chunkSize,
      chunksRebuilt: 4, // 0, 2, 3 and the last: the trimmed ones are the zero chunk
      bytesRebuilt: 3 * chunkSize + 1234,
      chunksReused: 5,
    });
    // The four rebuilt chunks are kept as their changed parts over the base's (and a header each).
    expect(stored.body.bytesStored).toBeGreaterThan(4096 + 20 + 5);
    expect(stored.body.bytesStored).toBeLessThan(4096 + 20 + 5 + 4 * 200);
    expect(stored.body.snapshot).toMatchObject({
      snapshotId: id,
      state: 'NORMAL',
      sizeBytes: image.length,
      digest: null, // nobody read the whole image
      root: rootOf(expected),
      baseSnapshotId: baseId,
    });
    const read = await as().get(`/v1/snapshots/${id}/data`);
    expect(Buffer.compare(read.body, expected)).toBe(0);
    expect(read.headers.get('etag')).toBe(`"root:${rootOf(expected)}"`);
    expect(read.headers.get('x-snapferry-root')).toBe(rootOf(expected));
    // The base is untouched and still has both digests.
    expect((await as().get(`/v1/snapshots/${baseId}`)).body).toMatchObject({
      digest: sha256(image),
      root: rootOf(image),
    });

    const copy = await as().post(`/v1/snapshots/${id}/copies`, {
      destinationRegions: ['ap-shanghai'],
    });
    const target = copy.body.results[0].snapshotId as string;
    await waitFor(async () => (await as().get(`/v1/snapshots/${target}`)).body.state === 'NORMAL', {
      what: `copy ${target} NORMAL`,
    });
    expect((await as().get(`/v1/snapshots/${target}`)).body.root).toBe(rootOf(expected));
    expect(Buffer.compare((await as().get(`/v1/snapshots/${target}/data`)).body, expected)).toBe(0);
  });

  it('grows the data with a size record (zeros past the base) on a disk as large or larger', async () => {
    const baseId = await base(image, { diskId: 'disk-chg00002' });
    const id = await register({ diskId: 'disk-chg00002', baseSnapshotId: baseId, diskSizeGiB: 2 });
    const size = image.length + 3 * chunkSize;
    const tail = randomBytes(10);
    const stored = await sendChanges(
      id,
      changeStream([{ kind: 'w', offset: size - 10, bytes: tail }], size),
    );
    expect(stored.status).toBe(200);
    const expected = Buffer.concat([image, Buffer.alloc(3 * chunkSize - 10), tail]);
    expect(Buffer.compare((await as().get(`/v1/snapshots/${id}/data`)).body, expected)).toBe(0);
  });

  it('refuses a base that is unknown, another account’s, not NORMAL, in another region or on a larger disk, and appends nothing', async () => {
    const mine = await base(image, { diskId: 'disk-chg00003' });
    const bobs = await base(image, { diskId: 'disk-chg00003' }, keys.bob);
    const creating = await register({ diskId: 'disk-chg00003' });
    const inShanghai = await base(image, { diskId: 'disk-chg00003', region: 'ap-shanghai' });
    const large = await base(image, { diskId: 'disk-chg00003', diskSizeGiB: 4 });
    const before = await eventCount(t);
    const refused = async (over: Record<string, unknown>, status: number, code: string) =>
      expectError(
        await as().post('/v1/snapshots', registration({ diskId: 'disk-chg00003', ...over })),
        status,
        code,
      );
    await refused({ baseSnapshotId: 'snap-zzzz9999' }, 404, 'ResourceNotFound.BaseSnapshot');
    await refused({ baseSnapshotId: bobs }, 404, 'ResourceNotFound.BaseSnapshot');
    await refused({ baseSnapshotId: creating }, 409, 'UnsupportedOperation.BaseSnapshotNotNormal');
    await refused({ baseSnapshotId: inShanghai }, 400, 'InvalidParameterValue.BaseSnapshot');
    await refused({ baseSnapshotId: large }, 400, 'InvalidParameterValue.BaseSnapshot');
    await refused({ baseSnapshotId: 'snap-NOPE' }, 400, 'InvalidParameter');
    expect(await eventCount(t)).toBe(before);
    // The same base is fine on a disk as large.
    await register({ diskId: 'disk-chg00003', baseSnapshotId: mine });
  });

  it('refuses ranges out of the disk, overlapping or unsorted, and a body that does not match its digest; nothing changes, then the right body stores', async () => {
    const baseId = await base(image, { diskId: 'disk-chg00004' });
    const id = await register({ diskId: 'disk-chg00004', baseSnapshotId: baseId });
    const w = (offset: number, length = 10): ImageChange => ({
      kind: 'w',
      offset,
      bytes: randomBytes(length),
    });
    const z = (offset: number, length = 10): ImageChange => ({ kind: 'z', offset, length });
    const before = await eventCount(t);
    const cases: [Buffer, number, string][] = [
      [changeStream([w(image.length - 5)]), 400, 'InvalidParameter.RangeOutOfDisk'],
      [changeStream([w(0, 100), z(50)]), 400, 'InvalidParameter.RangesOverlap'],
      [changeStream([z(5000), w(10)]), 400, 'InvalidParameter.RangesUnsorted'],
      [changeStream([w(0)], 2 * 1024 ** 3), 413, 'UnsupportedOperation.SnapshotDataTooLarge'],
      [
        Buffer.concat([changeStream([w(0)]).subarray(0, -1), Buffer.from([0])]),
        400,
        'InvalidParameter.ChangesDigest',
      ],
      [Buffer.from('rbd diff v1\ne'), 400, 'InvalidParameter.ChangesFormat'],
    ];
    for (const [body, status, code] of cases)
      expectError(await sendChanges(id, body), status, code);
    // Refused at the second range's header, long before its 32 MiB arrive: the answer says why.
    const early = await putEarlyAnswered(
      t.url,
      `/v1/snapshots/${id}/data/changes`,
      keys.alice,
      changeStream([w(0, 100), w(50, 32 * 1024 * 1024)], 64 * 1024 * 1024),
      'POST',
    );
    expect(early).toMatchObject({
      status: 400,
      body: { error: { code: 'InvalidParameter.RangesOverlap' } },
    });
    expect(await eventCount(t)).toBe(before);
    expect((await as().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
    expectError(
      await as().post(`/v1/snapshots/${id}/data/changes`, changeStream([]), {
        'content-type': 'text/plain',
      }),
      415,
      'InvalidParameter.ContentType',
    );
    expectError(
      await sendChanges(id, changeStream([]), keys.bob),
      404,
      'ResourceNotFound.Snapshot',
    );

    const changes = [w(10), z(chunkSize)];
    expect((await sendChanges(id, changeStream(changes))).status).toBe(200);
    expect(
      Buffer.compare(
        (await as().get(`/v1/snapshots/${id}/data`)).body,
        applyChanges(image, changes),
      ),
    ).toBe(0);
    expectError(
      await sendChanges(id, changeStream([])),
      409,
      'UnsupportedOperation.DataAlreadyStored',
    );
  });

  it('refuses changes for a snapshot without a base, and for one whose base was deleted meanwhile', async () => {
    const plain = await register({ diskId: 'disk-chg00005' });
    expectError(
      await sendChanges(plain, changeStream([])),
      409,
      'UnsupportedOperation.NoBaseSnapshot',
    );
    const baseId = await base(image, { diskId: 'disk-chg00005' });
    const id = await register({ diskId: 'disk-chg00005', baseSnapshotId: baseId });
    expect((await as().delete(`/v1/snapshots/${baseId}`)).status).toBe(204);
    expectError(
      await sendChanges(id, changeStream([])),
      409,
      'UnsupportedOperation.BaseSnapshotDeleted',
    );
    expect((await as().get(`/v1/snapshots/${id}`)).body.state).toBe('CREATING');
  });

  it('snapferry snapshot create --base --changed-ranges reads and sends only the listed ranges ({offset, length} or qemu-img map)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snapferry-ranges-'));
    try {
      const cli = (args: string[]) => runCliJson(args, { url: t.url, key: keys.alice });
      const monday = join(dir, 'monday.img');
      await writeFile(monday, image);
      const base = await cli([
        'snapshot',
        'create',
        '--region',
        'ap-guangzhou',
        '--disk',
        'disk-chg00006',
        '--file',
        monday,
      ]);
      const changes: ImageChange[] = [
        { kind: 'w', offset: 1000, bytes: randomBytes(3000) },
        { kind: 'z', offset: 4 * chunkSize, length: chunkSize },
        { kind: 'w', offset: 8 * chunkSize + 5, bytes: randomBytes(100) },
      ];
      const tuesday = join(dir, 'tuesday.img');
      await writeFile(tuesday, applyChanges(image, changes));
      const list = changes.map((c) =>
        c.kind === 'w'
          ? { offset: c.offset, length: c.bytes.length }
          : { offset: c.offset, length: c.length, zero: true },
      );
      /** `snapshot create` of tuesday from the base, told the changed ranges in the file `name`. */
      const fromRanges = async (name: string, ranges: unknown) => {
        await writeFile(join(dir, name), JSON.stringify(ranges));
        return [
          'snapshot',
          'create',
          '--base',
          base.snapshotId,
          '--file',
          tuesday,
          '--changed-ranges',
          join(dir, name),
        ];
      };
      const made = await cli(await fromRanges('ranges.json', list));
      expect(made.bytesRead).toBe(3100); // the written ranges, nothing else of the image
      expect(made.bytesSent).toBe(3100 + 21 + 3 * 17 + 33); // plus the stream's framing
      expect(made.snapshot).toMatchObject({
        state: 'NORMAL',
        diskId: 'disk-chg00006',
        region: 'ap-guangzhou',
      });
      expect(
        Buffer.compare(
          (await as().get(`/v1/snapshots/${made.snapshot.snapshotId}/data`)).body,
          applyChanges(image, changes),
        ),
      ).toBe(0);

      // data get checks the root (there is no whole-image SHA-256); data verify compares a file.
      const got = await cli(['data', 'get', made.snapshot.snapshotId, '-o', join(dir, 'got.img')]);
      expect(got).toMatchObject({ bytes: image.length, digest: null });
      expect(
        await cli(['data', 'verify', made.snapshot.snapshotId, '--file', tuesday]),
      ).toMatchObject({ identical: true, root: made.snapshot.root });
      // A list that missed the write at chunk 8: the snapshot is wrong there, and verify says where.
      const short = await cli(await fromRanges('short.json', list.slice(0, 2)));
      const verdict = await runCli(
        ['data', 'verify', short.snapshot.snapshotId, '--file', tuesday, '--json'],
        { url: t.url, key: keys.alice },
      );
      expect(verdict.code).toBe(7);
      expect(JSON.parse(verdict.stdout)).toMatchObject({
        identical: false,
        chunksDiffering: 1,
        differing: [{ offset: 8 * chunkSize, length: chunkSize }],
      });

      // The same from qemu-img map's shape: depth 0 changed, depth 1 is the backing file.
      const map = [
        { start: 0, length: 1000, depth: 1, present: true, zero: false, data: true },
        { start: 1000, length: 3000, depth: 0, present: true, zero: false, data: true, offset: 0 },
        {
          start: 4000,
          length: 4 * chunkSize - 4000,
          depth: 1,
          present: true,
          zero: false,
          data: true,
        },
        {
          start: 4 * chunkSize,
          length: chunkSize,
          depth: 0,
          present: true,
          zero: true,
          data: false,
        },
        {
          start: 5 * chunkSize,
          length: 3 * chunkSize + 5,
          depth: 1,
          present: true,
          zero: false,
          data: true,
        },
        {
          start: 8 * chunkSize + 5,
          length: 100,
          depth: 0,
          present: true,
          zero: false,
          data: true,
          offset: 4096,
        },
      ];
      const fromMap = await cli(await fromRanges('map.json', map));
      expect(fromMap.snapshot.root).toBe(made.snapshot.root);

      // A list that overlaps is refused before anything is registered.
      const overlapping = await fromRanges('bad.json', [
        { offset: 0, length: 10 },
        { offset: 5, length: 10 },
      ]);
      const before = await eventCount(t);
      const bad = await runCli(overlapping, { url: t.url, key: keys.alice });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/overlaps/);
      expect(await eventCount(t)).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('snapferry snapshot create --base --rbd-diff - builds from an rbd diff on standard input, and refuses one cut short with its reason', async () => {
    const create = (baseId: string, stdin: Buffer) =>
      runCli(['snapshot', 'create', '--base', baseId, '--rbd-diff', '-', '--json'], {
        url: t.url,
        key: keys.alice,
        stdin,
      });
    const baseId = await base(image, { diskId: 'disk-chg00007' });
    const written = randomBytes(3000);
    const diff = rbdDiffV1('tue', image.length, [
      { w: 1000, bytes: written },
      { z: 4 * chunkSize, length: chunkSize },
    ]);
    const made = await create(baseId, diff);
    expect(made.code).toBe(0);
    const { snapshot } = JSON.parse(made.stdout);
    expect(snapshot).toMatchObject({ state: 'NORMAL', baseSnapshotId: baseId });
    const tuesday = applyChanges(image, [
      { kind: 'w', offset: 1000, bytes: written },
      { kind: 'z', offset: 4 * chunkSize, length: chunkSize },
    ]);
    expect(
      Buffer.compare((await as().get(`/v1/snapshots/${snapshot.snapshotId}/data`)).body, tuesday),
    ).toBe(0);

    // Cut inside the written bytes (a producer that died): the reason, exit 2, and the snapshot
    // registered for it is left CREATING with no data (it was the process's silent exit 0).
    const cut = await create(baseId, diff.subarray(0, diff.length - 2000));
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/not a valid rbd export-diff stream: it ends inside/);
    const left = /snapshot (snap-[0-9a-z]+) was registered but its changes were not stored/.exec(
      cut.stderr,
    );
    expect(left).not.toBeNull();
    expect((await as().get(`/v1/snapshots/${left![1]}`)).body).toMatchObject({
      state: 'CREATING',
      sizeBytes: null,
    });
  });
});
