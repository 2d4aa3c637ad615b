import { storeStreamMemory } from './store-stream';

describe('storeStreamMemory', () => {
  const MiB = 1024 * 1024;

  it('is the write depth in chunks for an image of unknown or large size', () => {
    expect(storeStreamMemory(4 * MiB)).toBe(24 * MiB);
    expect(storeStreamMemory(4 * MiB, 100 * 1024 ** 3)).toBe(24 * MiB);
  });

  it('is the image rounded up to whole chunks when that is less', () => {
    expect(storeStreamMemory(4 * MiB, 8 * 1024)).toBe(4 * MiB);
    expect(storeStreamMemory(4 * MiB, 8 * MiB + 1)).toBe(12 * MiB);
    expect(storeStreamMemory(4 * MiB, 0)).toBe(0);
  });
});
