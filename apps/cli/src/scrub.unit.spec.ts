import { scrubText } from './scrub';

const digest = (c: string) => c.repeat(64);

describe('scrubText', () => {
  it('says a clean region is clean', () => {
    expect(
      scrubText({
        region: 'ap-guangzhou',
        chunksChecked: 3,
        bytesChecked: 3 * 1024,
        corrupt: [],
        missing: [],
      }),
    ).toBe('ap-guangzhou: 3 chunks (3.00 KiB) checked, 0 corrupt, 0 missing\nno damage found');
  });

  it('lists each damaged chunk with the snapshots that hold it', () => {
    const text = scrubText({
      region: 'ap-guangzhou',
      chunksChecked: 10,
      bytesChecked: 10,
      corrupt: [{ digest: digest('a'), snapshots: ['snap-aaaa0001', 'snap-aaaa0002'] }],
      missing: [{ digest: digest('b'), snapshots: [] }],
    });
    expect(text).toMatch(
      new RegExp(`corrupt \\(removed\\)\\s+│ ${digest('a')}\\s+│ snap-aaaa0001`),
    );
    expect(text).toContain('snap-aaaa0002');
    expect(text).toMatch(new RegExp(`missing\\s+│ ${digest('b')}\\s+│ -`));
    expect(text).toMatch(/1 corrupt, 1 missing$/);
  });
});
