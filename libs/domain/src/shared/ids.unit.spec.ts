import fc from 'fast-check';
import {
  diskIdPattern,
  isRegionId,
  isSnapshotId,
  makeId,
  replicationIdPattern,
  snapshotIdPattern,
  streamIds,
} from './ids';

/** A fake random source: hands out the given bytes and remembers how many were asked for. */
const fakeRandom = (bytes: number[]) => {
  const asked: number[] = [];
  const source = (n: number) => {
    asked.push(n);
    return Uint8Array.from(bytes.slice(0, n));
  };
  return { source, asked };
};

describe('makeId', () => {
  it('maps 8 random bytes onto lower-case letters and digits', () => {
    const random = fakeRandom([0, 1, 2, 25, 26, 35, 36, 255]);
    expect(makeId('snap', random.source)).toBe('snap-abcz09ad');
    expect(random.asked).toEqual([8]);
  });

  it('makes ids in the cloud format for every prefix, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const source = () => bytes;
        expect(makeId('snap', source)).toMatch(snapshotIdPattern);
        expect(makeId('disk', source)).toMatch(diskIdPattern);
        expect(makeId('repl', source)).toMatch(replicationIdPattern);
      }),
    );
  });

  it('builds stream ids in one place', () => {
    expect(streamIds.snapshot('snap-abc12345')).toBe('snapshot-snap-abc12345');
    expect(streamIds.replication('repl-abc12345')).toBe('replication-repl-abc12345');
    expect(streamIds.account('acct-1')).toBe('account-acct-1');
  });
});

describe('id rules', () => {
  it("accepts region ids like the cloud's, at most 40 characters", () => {
    for (const id of ['ap-guangzhou', 'ap-shenzhen-fsi', 'na-siliconvalley', 'eu-frankfurt'])
      expect(isRegionId(id)).toBe(true);
    for (const bad of ['a', 'AP-guangzhou', 'ap_guangzhou', '..', 'ap/guangzhou', 'ap-', 'ap--x'])
      expect(isRegionId(bad)).toBe(false);
    expect(isRegionId(`ap-${'x'.repeat(37)}`)).toBe(true);
    expect(isRegionId(`ap-${'x'.repeat(38)}`)).toBe(false);
    expect(isRegionId(42)).toBe(false);
  });

  it('accepts snapshot ids of snap- and 8 lower-case letters or digits', () => {
    expect(isSnapshotId('snap-ab12cd34')).toBe(true);
    for (const bad of ['snap-ABCDEFGH', 'snap-abc', '../snap-abcdefgh', null])
      expect(isSnapshotId(bad)).toBe(false);
  });
});
