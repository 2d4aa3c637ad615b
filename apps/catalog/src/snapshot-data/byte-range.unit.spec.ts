import { parseByteRange } from './byte-range';

describe('HTTP Range on a snapshot of 100 bytes', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 10 }],
    ['bytes=10-', { start: 10, end: 100 }],
    ['bytes=-5', { start: 95, end: 100 }],
    ['bytes=90-200', { start: 90, end: 100 }],
    ['bytes=-500', { start: 0, end: 100 }],
  ])('%s is served', (header, range) => expect(parseByteRange(header, 100)).toEqual(range));

  it.each(['bytes=100-', 'bytes=50-40', 'bytes=-0'])('%s cannot be satisfied', (header) =>
    expect(parseByteRange(header, 100)).toBe('unsatisfiable'),
  );

  it.each([undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=-'])(
    '%s is ignored (whole body)',
    (header) => expect(parseByteRange(header, 100)).toBeUndefined(),
  );
});
