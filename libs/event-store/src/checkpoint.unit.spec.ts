import fc from 'fast-check';
import {
  compareCheckpoints,
  InvalidCheckpointError,
  maxCheckpoint,
  parseCheckpoint,
  serializeCheckpoint,
  type Checkpoint,
} from './checkpoint';

const checkpoint = fc.record({
  transactionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  position: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
});

describe('checkpoint', () => {
  it('serializes to a URL-safe string', () => {
    expect(serializeCheckpoint({ transactionId: 751n, position: 42n })).toBe('751-42');
  });

  it('parses what it serialized, for any xid8 and bigint', () => {
    fc.assert(
      fc.property(checkpoint, (c) => expect(parseCheckpoint(serializeCheckpoint(c))).toEqual(c)),
    );
  });

  it.each([
    '',
    '12',
    '12-',
    '-3',
    'a-1',
    '1-2-3',
    '1.5-2',
    ' 1-2',
    '123456789012345678901-1',
    '18446744073709551616-1',
    '1-9223372036854775808',
  ])('refuses %p', (value) => {
    expect(() => parseCheckpoint(value)).toThrow(InvalidCheckpointError);
  });

  it('orders by transaction id first, then position', () => {
    const at = (transactionId: bigint, position: bigint): Checkpoint => ({
      transactionId,
      position,
    });
    expect(compareCheckpoints(at(5n, 100n), at(6n, 1n))).toBe(-1);
    expect(compareCheckpoints(at(6n, 2n), at(6n, 1n))).toBe(1);
    expect(compareCheckpoints(at(6n, 2n), at(6n, 2n))).toBe(0);
    expect(maxCheckpoint(at(5n, 100n), at(6n, 1n))).toEqual(at(6n, 1n));
  });
});
