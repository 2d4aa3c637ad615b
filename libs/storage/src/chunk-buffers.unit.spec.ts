import { ChunkBuffers } from './chunk-buffers';

describe('ChunkBuffers', () => {
  it('lends shared buffers of the size asked and reuses what was given back', () => {
    const buffers = new ChunkBuffers(2048);
    const a = buffers.borrow(1024);
    expect(a.length).toBe(1024);
    expect(Object.prototype.toString.call(a.buffer)).toBe('[object SharedArrayBuffer]');
    buffers.giveBack(a);
    const b = buffers.borrow(1000); // a smaller chunk (an image's last) fits in a given-back one
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(1000);
    expect(buffers.borrow(1024).buffer).not.toBe(a.buffer); // b is still out
  });

  it('takes back only what it lent, and each buffer once', () => {
    const buffers = new ChunkBuffers(4096);
    const foreign = Buffer.alloc(1024);
    buffers.giveBack(foreign); // a store's own buffer: ignored
    expect(buffers.borrow(1024).buffer).not.toBe(foreign.buffer);
    const lent = buffers.borrow(64);
    buffers.giveBack(lent);
    buffers.giveBack(lent); // twice: the second is ignored, so it is never lent to two at once
    const first = buffers.borrow(64);
    const second = buffers.borrow(64);
    expect(first.buffer).toBe(lent.buffer);
    expect(second.buffer).not.toBe(lent.buffer);
  });

  it('keeps at most `keepBytes` idle, so the memory of a burst goes back', () => {
    const buffers = new ChunkBuffers(16);
    const burst = Array.from({ length: 100 }, () => buffers.borrow(8));
    for (const buffer of burst) buffers.giveBack(buffer);
    expect(buffers.idleByteLength).toBe(16); // two of the hundred; the rest are dropped
    expect(buffers.borrow(8).buffer).toBe(burst[0]!.buffer);
    expect(buffers.borrow(8).buffer).toBe(burst[1]!.buffer);
    expect(buffers.borrow(8).buffer).not.toBe(burst[2]!.buffer);
    expect(buffers.idleByteLength).toBe(0);
  });

  it('counts a buffer by its whole size, also when it was lent for a smaller chunk', () => {
    const buffers = new ChunkBuffers(24);
    const big = buffers.borrow(16);
    buffers.giveBack(big);
    const small = buffers.borrow(4); // lent from the 16-byte one
    expect(small.buffer).toBe(big.buffer);
    const other = buffers.borrow(16);
    buffers.giveBack(small);
    buffers.giveBack(other); // 16 + 16 > 24: dropped
    expect(buffers.idleByteLength).toBe(16);
  });
});
