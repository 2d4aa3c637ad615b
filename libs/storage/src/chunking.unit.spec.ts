import { chunkCount, chunkSizeAt, chunkSlices } from './chunking';
import { RangeNotSatisfiableError } from './errors';

describe('chunk boundary math', () => {
  it.each([
    [0, 0],
    [1, 1],
    [10, 1],
    [11, 2],
    [30, 3],
    [31, 4],
  ])('a %i-byte image has %i ten-byte chunks', (total, count) => {
    expect(chunkCount(total, 10)).toBe(count);
  });

  it('makes every chunk full but the last', () => {
    expect([0, 1, 2].map((i) => chunkSizeAt(i, 25, 10))).toEqual([10, 10, 5]);
    expect(chunkSizeAt(1, 20, 10)).toBe(10);
  });

  it('maps an inclusive range inside one chunk', () => {
    expect(chunkSlices(25, 10, 12, 15)).toEqual([{ index: 1, from: 2, to: 6 }]);
  });

  it('maps a range across chunk boundaries, ending in the short last chunk', () => {
    expect(chunkSlices(25, 10, 9, 24)).toEqual([
      { index: 0, from: 9, to: 10 },
      { index: 1, from: 0, to: 10 },
      { index: 2, from: 0, to: 5 },
    ]);
  });

  it('maps a range ending exactly on a chunk boundary', () => {
    expect(chunkSlices(30, 10, 0, 9)).toEqual([{ index: 0, from: 0, to: 10 }]);
    expect(chunkSlices(30, 10, 10, 10)).toEqual([{ index: 1, from: 0, to: 1 }]);
  });

  it('covers every byte exactly once for any range', () => {
    for (let start = 0; start < 23; start++) {
      for (let end = start; end < 23; end++) {
        const covered = chunkSlices(23, 4, start, end).reduce((n, s) => n + s.to - s.from, 0);
        expect(covered).toBe(end - start + 1);
      }
    }
  });

  it.each([
    [-1, 3],
    [5, 4],
    [0, 25],
    [1.5, 3],
  ])('refuses the range %p-%p of a 25-byte image', (start, end) => {
    expect(() => chunkSlices(25, 10, start, end)).toThrow(RangeNotSatisfiableError);
  });

  it('refuses any range of an empty image', () => {
    expect(() => chunkSlices(0, 10, 0, 0)).toThrow(RangeNotSatisfiableError);
  });
});
