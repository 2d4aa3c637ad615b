import { maxSnapshotNameLength, nameLength, registerSnapshot } from './snapshot-decisions';

describe('snapshot names are counted in characters', () => {
  const base = {
    snapshotId: 'snap-aaaaaaaa',
    accountId: 'a',
    region: 'ap-guangzhou',
    diskId: 'disk-aaaaaaaa',
    diskUsage: 'DATA_DISK' as const,
    diskSizeGiB: 1,
    now: '2026-01-01T00:00:00.000Z',
  };

  it('accepts 60 emoji (120 UTF-16 units) and refuses 61', () => {
    const sixty = '🚢'.repeat(maxSnapshotNameLength);
    expect(nameLength(sixty)).toBe(60);
    expect(registerSnapshot({ ...base, name: sixty }).data.name).toBe(sixty);
    expect(() => registerSnapshot({ ...base, name: `${sixty}🚢` })).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue.SnapshotName' }),
    );
  });
});
