import { codeInWords, formatBytes, formatTime, stateWithPercent } from './format';

describe('console formatting', () => {
  it('writes sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2.00 MiB');
    expect(formatBytes(50 * 1024 ** 3)).toBe('50.0 GiB');
    expect(formatBytes(null)).toBe('—');
  });

  it('writes local times as YYYY-MM-DD HH:mm:ss and leaves junk as it is', () => {
    const iso = new Date(2025, 0, 2, 3, 4, 5).toISOString();
    expect(formatTime(iso)).toBe('2025-01-02 03:04:05');
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime(null)).toBe('—');
  });

  it('shows the percent of a copy in flight only', () => {
    expect(stateWithPercent('COPYING_FROM_REMOTE', 42.7)).toBe('Copying from remote 42%');
    expect(stateWithPercent('CHECKING_COPIED', 100)).toBe('Checking copied');
    expect(stateWithPercent('NORMAL', 100)).toBe('Normal');
  });

  it('puts error codes in words, known ones by name and others from their reason', () => {
    expect(codeInWords('LimitExceeded.SnapshotQuota')).toBe('Quota used up');
    expect(codeInWords('UnsupportedOperation.GeoRestricted')).toBe('Geographic restriction');
    expect(codeInWords('Success')).toBe('Started');
    expect(codeInWords('UnsupportedOperation.DataAlreadyStored')).toBe('Data already stored');
  });
});
