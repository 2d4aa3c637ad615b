import type { LoggedEvent, Policy, RecoveryPoint } from '../api/types';
import {
  formatAge,
  recoveryPointNow,
  retainText,
  selectorText,
  touchesPolicies,
} from './recovery-points';

const point = (over: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
  diskId: 'disk-aaaa0001',
  region: 'ap-shanghai',
  snapshotId: 'snap-bbbb0001',
  recoversTo: '2026-12-04T10:00:00.000Z',
  ageSeconds: 300,
  state: 'OK',
  ...over,
});
const status = { evaluatedAt: '2026-12-04T10:05:00.000Z', rpoMinutes: 10 };

describe('a recovery point between two reads', () => {
  it('ages from the catalog’s answer and turns AT_RISK at 80 % and BREACHED at the objective', () => {
    expect(recoveryPointNow(point(), status, 0)).toMatchObject({ ageSeconds: 300, state: 'OK' });
    expect(recoveryPointNow(point(), status, 179_000)).toMatchObject({
      ageSeconds: 479,
      state: 'OK',
    });
    expect(recoveryPointNow(point(), status, 180_000)).toMatchObject({
      ageSeconds: 480,
      state: 'AT_RISK',
    });
    expect(recoveryPointNow(point(), status, 300_000)).toMatchObject({
      ageSeconds: 600,
      state: 'BREACHED',
    });
  });

  it('leaves a destination without a copy as it is', () => {
    const none = point({ snapshotId: null, recoversTo: null, ageSeconds: null, state: 'NONE' });
    expect(recoveryPointNow(none, status, 999_000)).toBe(none);
  });
});

describe('policy words', () => {
  it('formats ages, retention and the selector', () => {
    expect(formatAge(null)).toBe('—');
    expect(formatAge(42)).toBe('42 s');
    expect(formatAge(307)).toBe('5 min 07 s');
    expect(formatAge(3 * 3600 + 120)).toBe('3 h 02 min');
    expect(formatAge(2 * 86400 + 4 * 3600)).toBe('2 d 04 h');
    expect(retainText({ count: 3 })).toBe('newest 3');
    expect(retainText({ count: 3, maxAgeDays: 1 })).toBe('newest 3, 1 day');
    expect(retainText(undefined)).toBe('all');
    expect(
      selectorText({ diskIds: ['disk-a', 'disk-b'], tags: [{ key: 'tier', value: 'gold' }] }),
    ).toBe('disk-a, disk-b; tier=gold');
    expect(selectorText({ tags: [{ key: 'tier', value: 'gold' }] })).toBe('tier=gold');
  });
});

describe('which live events the policies page reads again for', () => {
  const policy = {
    policyId: 'pol-aaaa0001',
    sourceRegion: 'ap-guangzhou',
    destinations: [{ region: 'ap-shanghai', retain: { count: 3 } }],
  } as Policy;
  const event = (type: string, data: Record<string, unknown>) =>
    ({ type, data, streamId: 's', globalPosition: '1' }) as unknown as LoggedEvent;

  it('policy and recovery-point events always; snapshot events in its regions; progress never', () => {
    expect(touchesPolicies(event('RecoveryPointObjectiveBreached', {}), [])).toBe(true);
    expect(touchesPolicies(event('PolicyCreated', {}), [])).toBe(true);
    expect(
      touchesPolicies(event('ReplicationCompleted', { targetRegion: 'ap-shanghai' }), [policy]),
    ).toBe(true);
    expect(
      touchesPolicies(event('ReplicationCompleted', { targetRegion: 'eu-frankfurt' }), [policy]),
    ).toBe(false);
    expect(touchesPolicies(event('SnapshotDataStored', { snapshotId: 'snap-x' }), [policy])).toBe(
      true,
    );
    expect(touchesPolicies(event('SnapshotDataStored', { snapshotId: 'snap-x' }), [])).toBe(false);
    expect(
      touchesPolicies(event('ReplicationProgressed', { targetRegion: 'ap-shanghai' }), [policy]),
    ).toBe(false);
  });
});
