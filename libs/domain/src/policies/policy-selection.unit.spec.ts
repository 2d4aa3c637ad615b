import { selects } from './policy-selection';

const policy = (selector: object) => ({ sourceRegion: 'ap-guangzhou', selector });
const snapshot = (extra: object = {}) => ({
  region: 'ap-guangzhou',
  diskId: 'disk-aaaa0001',
  ...extra,
});

describe('selects', () => {
  it('takes a snapshot of a listed disk in the source region', () => {
    expect(selects(policy({ diskIds: ['disk-aaaa0001'] }), snapshot())).toBe(true);
    expect(selects(policy({ diskIds: ['disk-bbbb0002'] }), snapshot())).toBe(false);
  });

  it('never takes a snapshot of another region, nor a copy', () => {
    expect(
      selects(policy({ diskIds: ['disk-aaaa0001'] }), snapshot({ region: 'ap-shanghai' })),
    ).toBe(false);
    const copyOf = {
      replicationId: 'repl-00000001',
      sourceSnapshotId: 'snap-00000001',
      sourceRegion: 'ap-beijing',
    };
    expect(selects(policy({ diskIds: ['disk-aaaa0001'] }), snapshot({ copyOf }))).toBe(false);
  });

  it('takes a snapshot carrying every listed tag, or on a listed disk', () => {
    const tags = [
      { key: 'tier', value: 'gold' },
      { key: 'app', value: 'orders' },
    ];
    const byTags = policy({ tags });
    expect(selects(byTags, snapshot({ tags: [...tags, { key: 'x', value: 'y' }] }))).toBe(true);
    expect(selects(byTags, snapshot({ tags: [tags[0]] }))).toBe(false);
    expect(selects(byTags, snapshot({ tags: [{ key: 'tier', value: 'silver' }, tags[1]] }))).toBe(
      false,
    );
    expect(selects(byTags, snapshot())).toBe(false);
    expect(selects(policy({ tags, diskIds: ['disk-aaaa0001'] }), snapshot())).toBe(true);
  });
});
