import { createHash, randomBytes } from 'node:crypto';
import { Sha256Stream, Sha256Workers } from './sha256-workers';

const expected = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('Sha256Workers', () => {
  const workers = new Sha256Workers(2);
  afterAll(() => workers.close());

  it('hashes plain buffers, views into larger ones, shared buffers and small inputs alike', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const view = big.subarray(1000, 1000 + 1024 * 1024); // must not hash (or copy) all of `big`
    const shared = Buffer.from(new SharedArrayBuffer(512 * 1024));
    randomBytes(512 * 1024).copy(shared);
    const small = randomBytes(100);
    for (const bytes of [big, view, shared, small, Buffer.alloc(0)])
      expect(await workers.hex(bytes)).toBe(expected(bytes));
  });

  it('answers many digests in flight at once, each with its own', async () => {
    const inputs = Array.from({ length: 24 }, (_, i) => randomBytes(128 * 1024 + i));
    const digests = await Promise.all(inputs.map((bytes) => workers.hex(bytes)));
    expect(digests).toEqual(inputs.map(expected));
  });

  it('hashes two buffers with a common start as a pair, that start once, shared or not', async () => {
    for (const size of [100, 4 * 1024 * 1024]) {
      const a = Buffer.from(new SharedArrayBuffer(size));
      randomBytes(size).copy(a);
      const b = Buffer.from(a); // not shared
      b.fill(7, Math.floor(size / 2), Math.floor(size / 2) + 10);
      for (const prefix of [0, Math.floor(size / 2), size])
        expect(await workers.pair(a, b, Math.min(prefix, Math.floor(size / 2)))).toEqual([
          expected(a),
          expected(b),
        ]);
      const shorter = b.subarray(0, size - 1);
      expect(await workers.pair(a, shorter, 10)).toEqual([expected(a), expected(shorter)]);
    }
  });

  it('replaces a thread that died, and fails only the digests it owed', async () => {
    const pool = new Sha256Workers(1);
    try {
      const before = await pool.hex(randomBytes(256 * 1024));
      expect(before).toMatch(/^[0-9a-f]{64}$/);
      await pool.close(); // every thread gone
      const bytes = randomBytes(256 * 1024);
      expect(await pool.hex(bytes)).toBe(expected(bytes));
    } finally {
      await pool.close();
    }
  });
});

describe('Sha256Stream', () => {
  it("hashes its pieces in order, shared or not, as one stream (sha256sum's answer)", async () => {
    const stream = new Sha256Stream();
    try {
      const pieces: Buffer[] = [randomBytes(300 * 1024), Buffer.alloc(0), randomBytes(100)];
      const shared = Buffer.from(new SharedArrayBuffer(200 * 1024));
      randomBytes(200 * 1024).copy(shared);
      pieces.push(shared);
      await Promise.all(pieces.map((piece) => stream.update(piece)));
      expect(await stream.digest()).toBe(expected(Buffer.concat(pieces)));
    } finally {
      await stream.close();
    }
  });
});
