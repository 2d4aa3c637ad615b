import { reuseRefusal } from './signature-reuse';

const writing = new Set([
  'CreateSnapshot',
  'CopySnapshotCrossRegions',
  'ModifySnapshotAttribute',
  'DeleteSnapshots',
]);
const writes = (action: string) => writing.has(action);
const used = (firstAction: string, uses = 2) => ({ firstAction, uses });

describe('reusing a TC3 signature', () => {
  it('lets the first use of any signature go on', () => {
    for (const action of ['DescribeSnapshots', 'DeleteSnapshots', 'NoSuchAction'])
      expect(reuseRefusal(used(action, 1), action, writes)).toBeUndefined();
  });

  it('refuses a captured read replayed as an action that changes something', () => {
    expect(reuseRefusal(used('DescribeSnapshots'), 'DeleteSnapshots', writes)).toMatch(
      /used before, for DescribeSnapshots: a used signature may only read.*x-tc-action/,
    );
    expect(reuseRefusal(used('NoSuchAction'), 'CreateSnapshot', writes)).toMatch(/used before/);
  });

  it('refuses any second use of a signature for an action that changes something', () => {
    expect(reuseRefusal(used('CreateSnapshot'), 'CreateSnapshot', writes)).toMatch(
      /CreateSnapshot is carried out once per signature.*new X-TC-Timestamp/,
    );
    expect(reuseRefusal(used('DeleteSnapshots', 7), 'DeleteSnapshots', writes)).toBeDefined();
    expect(reuseRefusal(used('DeleteSnapshots'), 'ModifySnapshotAttribute', writes)).toBeDefined();
  });

  it('lets reads repeat: polling, other reads with the same parameters, reading back a write', () => {
    expect(reuseRefusal(used('DescribeSnapshots', 5), 'DescribeSnapshots', writes)).toBeUndefined();
    expect(
      reuseRefusal(used('DescribeSnapshots'), 'DescribeSnapshotOverview', writes),
    ).toBeUndefined();
    expect(reuseRefusal(used('DeleteSnapshots'), 'DescribeSnapshots', writes)).toBeUndefined();
    // An unknown action changes nothing: it is refused later, as InvalidAction.
    expect(reuseRefusal(used('DescribeSnapshots'), 'DescribeDisks', writes)).toBeUndefined();
  });
});
