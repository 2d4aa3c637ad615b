import { InvalidIdError } from './errors';
import { assertDigest, assertRegionId, assertSnapshotId } from './ids';

const digest = 'a'.repeat(64);

describe('id and digest validation', () => {
  it('accepts well-formed ids', () => {
    expect(() => assertSnapshotId('snap-ab12cd34')).not.toThrow();
    expect(() => assertDigest(digest)).not.toThrow();
    expect(() => assertRegionId('ap-guangzhou')).not.toThrow();
    expect(() => assertRegionId('ap-shenzhen-fsi')).not.toThrow();
  });

  it.each([
    'snap-ABCDEFGH',
    'snap-abc',
    'snap-abcdefghi',
    '../snap-abcdefgh',
    'snap-abcd/fgh',
    '',
    42,
    null,
  ])('refuses snapshot id %p', (value) => {
    expect(() => assertSnapshotId(value)).toThrow(InvalidIdError);
  });

  it.each([
    digest.toUpperCase(),
    'a'.repeat(63),
    'a'.repeat(65),
    `../${'a'.repeat(61)}`,
    'g'.repeat(64),
  ])('refuses digest %p', (value) => {
    expect(() => assertDigest(value)).toThrow(InvalidIdError);
  });

  it.each(['a', 'AP-guangzhou', '..', 'ap/guangzhou', 'x'.repeat(41), 'ap_guangzhou'])(
    'refuses region id %p',
    (value) => {
      expect(() => assertRegionId(value)).toThrow(InvalidIdError);
    },
  );

  it('says what was wrong', () => {
    expect(() => assertSnapshotId('../etc')).toThrow('invalid snapshot id: "../etc"');
  });
});
