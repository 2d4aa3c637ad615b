import { CloudActions } from './cloud-actions';

describe('the cloud actions', () => {
  // The services are never called here: only the table of actions is read.
  const actions = new CloudActions(null as never, null as never, null as never);

  it('only the Describe actions change nothing (they alone may run on a used signature)', () => {
    const reading = Object.keys(actions.byName).filter((name) => !actions.writes(name));
    expect(reading.sort()).toEqual(['DescribeSnapshotOverview', 'DescribeSnapshots']);
    expect(
      Object.keys(actions.byName)
        .filter((name) => actions.writes(name))
        .sort(),
    ).toEqual([
      'CopySnapshotCrossRegions',
      'CreateSnapshot',
      'DeleteSnapshots',
      'ModifySnapshotAttribute',
    ]);
  });

  it('an unknown name writes nothing (it is refused as InvalidAction)', () => {
    for (const name of ['DescribeDisks', 'toString', '__proto__', ''])
      expect(actions.writes(name)).toBe(false);
  });
});
