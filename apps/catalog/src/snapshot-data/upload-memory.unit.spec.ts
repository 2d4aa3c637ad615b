import { Registry } from 'prom-client';
import { ApiError } from '../http/api-error';
import { UploadMemory, uploadMemoryProvider, type Reservation } from './upload-memory';

const alice = { accountId: 'alice', role: 'user' as const, keyId: 'key-2' };
const bob = { accountId: 'bob', role: 'user' as const, keyId: 'key-3' };
const taken = (r: Reservation | string): Reservation => {
  if (typeof r === 'string') throw new Error(`refused: ${r}`);
  return r;
};

describe('UploadMemory', () => {
  it("refuses a key beyond its share while other keys still get the process's room", () => {
    const memory = new UploadMemory({ total: 100, perKey: 40 });
    taken(memory.tryReserve('alice', 20));
    taken(memory.tryReserve('alice', 20));
    expect(memory.tryReserve('alice', 1)).toBe('key');
    taken(memory.tryReserve('bob', 40));
    expect(memory.usedBytes()).toBe(80);
    expect(memory.usedBytes('alice')).toBe(40);
  });

  it('refuses everyone once the process holds its limit', () => {
    const memory = new UploadMemory({ total: 100, perKey: 60 });
    taken(memory.tryReserve('alice', 60));
    taken(memory.tryReserve('bob', 30));
    expect(memory.tryReserve('carol', 20)).toBe('process');
    expect(memory.tryReserve('bob', 20)).toBe('process');
    taken(memory.tryReserve('carol', 10));
  });

  it('lets one body in when nothing is held, even one larger than the limits', () => {
    const memory = new UploadMemory({ total: 10, perKey: 5 });
    const big = taken(memory.tryReserve('alice', 64));
    expect(memory.tryReserve('bob', 1)).toBe('process');
    big.release();
    taken(memory.tryReserve('bob', 8)); // over its own share, but it holds nothing
    expect(memory.tryReserve('bob', 1)).toBe('key');
  });

  it('gives the bytes back once, however often released', () => {
    const memory = new UploadMemory({ total: 100, perKey: 50 });
    const first = taken(memory.tryReserve('alice', 30));
    const second = taken(memory.tryReserve('alice', 20));
    first.release();
    first.release();
    expect(memory.usedBytes('alice')).toBe(20);
    expect(memory.usedBytes()).toBe(20);
    second.release();
    expect(memory.usedBytes('alice')).toBe(0);
    expect(memory.usedBytes()).toBe(0);
    taken(memory.tryReserve('alice', 50));
  });

  it('answers a refused caller 429 RequestLimitExceeded.UploadMemory, retry later, connection closed', () => {
    const memory = new UploadMemory({ total: 100, perKey: 10 });
    memory.reserve(alice, 10);
    const refusal = (() => {
      try {
        memory.reserve(alice, 10);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({
      status: 429,
      code: 'RequestLimitExceeded.UploadMemory',
      message: expect.stringContaining('SNAPFERRY_UPLOAD_MEMORY_PER_KEY'),
      headers: { 'retry-after': '1', connection: 'close' },
    });
    // Another key of the same account counts apart.
    expect(() => memory.reserve({ ...alice, keyId: 'key-9' }, 10)).not.toThrow();
    expect(() => memory.reserve(bob, 10)).not.toThrow();
  });

  it('shows what it holds as snapferry_upload_memory_bytes', async () => {
    const metrics = new Registry();
    const memory = uploadMemoryProvider.useFactory(
      { uploadMemory: { total: 100, perKey: 50 } },
      metrics,
    );
    memory.reserve(alice, 42);
    expect(await metrics.metrics()).toMatch(/^snapferry_upload_memory_bytes 42$/m);
  });
});
