import { readParams } from './cloud-params';
import { describeSnapshotsSchema, searchOf } from './describe-snapshots';

const search = (raw: Record<string, unknown>) =>
  searchOf(readParams(raw, describeSnapshotsSchema, false), 'ap-guangzhou');
const codeOf = (raw: Record<string, unknown>): string => {
  try {
    search(raw);
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
};

describe('DescribeSnapshots parameters', () => {
  it('defaults to the newest 20 of the region', () => {
    expect(search({})).toEqual({ region: 'ap-guangzhou', order: 'DESC', offset: 0, limit: 20 });
  });

  it('maps each documented filter onto the search', () => {
    expect(
      search({
        Filters: [
          { Name: 'snapshot-id', Values: ['snap-aaaa0001'] },
          { Name: 'snapshot-name', Values: ['a', 'b'] },
          { Name: 'snapshot-state', Values: ['COPYING_FROM_REMOTE', 'TORECYCLE', 'ROLLBACKING'] },
          { Name: 'disk-usage', Values: ['DATA_DISK'] },
          { Name: 'disk-id', Values: ['disk-aaaa0001'] },
          { Name: 'encrypt', Values: ['TRUE', 'false'] },
        ],
        Offset: 40,
        Limit: 100,
        OrderField: 'CREATE_TIME',
        Order: 'ASC',
      }),
    ).toEqual({
      region: 'ap-guangzhou',
      order: 'ASC',
      offset: 40,
      limit: 100,
      snapshotIds: ['snap-aaaa0001'],
      names: ['a', 'b'],
      states: ['COPYING_FROM_REMOTE', 'FAILED'],
      diskUsages: ['DATA_DISK'],
      diskIds: ['disk-aaaa0001'],
      encrypted: [true, false],
    });
    expect(search({ SnapshotIds: ['snap-aaaa0001', 'snap-aaaa0002'] }).snapshotIds).toEqual([
      'snap-aaaa0001',
      'snap-aaaa0002',
    ]);
  });

  it('maps the tag filters: tag-key (any key), tag-value (any value), tag:<key> per key', () => {
    expect(
      search({
        Filters: [
          { Name: 'tag-key', Values: ['tier', 'env'] },
          { Name: 'tag-value', Values: ['gold'] },
          { Name: 'tag:tier', Values: ['gold', 'silver'] },
          { Name: 'tag:snapferry:policy', Values: ['pol-aaaa0001'] },
        ],
      }),
    ).toEqual({
      region: 'ap-guangzhou',
      order: 'DESC',
      offset: 0,
      limit: 20,
      tagKeys: ['tier', 'env'],
      tagValueAny: ['gold'],
      tagValues: { tier: ['gold', 'silver'], 'snapferry:policy': ['pol-aaaa0001'] },
    });
  });

  it.each([
    [{ Filters: [{ Name: 'tag:', Values: ['a'] }] }, 'InvalidFilter'],
    [{ Filters: [{ Name: 'tag-key', Values: [] }] }, 'InvalidParameterValue'],
    [{ SnapshotIds: ['snap-aaaa0001'], Filters: [] }, 'InvalidParameter'],
    [{ Limit: 101 }, 'InvalidParameterValue.LimitExceeded'],
    [{ Limit: 0 }, 'InvalidParameterValue'],
    [{ Offset: -1 }, 'InvalidParameterValue'],
    [
      { SnapshotIds: Array.from({ length: 101 }, (_, i) => `snap-${i}`) },
      'InvalidParameterValue.LimitExceeded',
    ],
    [{ OrderField: 'NAME' }, 'InvalidParameterValue'],
    [{ Order: 'desc' }, 'InvalidParameterValue'],
    [{ Filters: [{ Name: 'project-id', Values: ['0'] }] }, 'InvalidFilter'],
    [{ Filters: [{ Name: 'snapshot-state', Values: ['FAILED'] }] }, 'InvalidParameterValue'],
    [{ Filters: [{ Name: 'disk-usage', Values: ['ROOT'] }] }, 'InvalidParameterValue'],
    [{ Filters: [{ Name: 'encrypt', Values: ['yes'] }] }, 'InvalidParameterValue'],
    [{ Filters: [{ Name: 'disk-id', Values: [] }] }, 'InvalidParameterValue'],
    [
      {
        Filters: [
          { Name: 'disk-id', Values: ['a'] },
          { Name: 'disk-id', Values: ['b'] },
        ],
      },
      'InvalidParameter',
    ],
    [{ Filters: [{ Name: 'toString', Values: ['a'] }] }, 'InvalidFilter'],
  ])('%j is %s', (raw, code) => expect(codeOf(raw)).toBe(code));
});
