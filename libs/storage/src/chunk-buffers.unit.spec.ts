import { ChunkBuffers } from './chunk-buffers';

describe('ChunkBuffers', () => {
  it('lends shared buffers of the size asked and reuses what was given back', () => {
    const buffers = new ChunkBuffers(2);
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
    const buffers = new ChunkBuffers(4);
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

  it('keeps at most `keep` idle buffers', () => {
    const buffers = new ChunkBuffers(1);
    const [a, b] = [buffers.borrow(8), buffers.borrow(8)];
    buffers.giveBack(a);
    buffers.giveBack(b); // dropped: one is kept
    expect(buffers.borrow(8).buffer).toBe(a.buffer);
    expect(buffers.borrow(8).buffer).not.toBe(b.buffer);
  });
});
