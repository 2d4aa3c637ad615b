import { GcSchedule } from './gc-schedule';

describe('GcSchedule', () => {
  const minute = 60_000;

  it('sweeps a region soon after a delete, once for a burst of deletes', () => {
    const schedule = new GcSchedule(minute, 10 * minute);
    schedule.deleted('ap-shanghai', 0);
    schedule.deleted('ap-shanghai', 10);
    expect(schedule.due(10)).toEqual(['ap-shanghai']);
    schedule.ran('ap-shanghai', 10);
    expect(schedule.due(20)).toEqual([]);
  });

  it('waits the minimum interval after a sweep before the next one', () => {
    const schedule = new GcSchedule(minute, 10 * minute);
    schedule.deleted('ap-shanghai', 0);
    schedule.ran('ap-shanghai', 0);
    schedule.deleted('ap-shanghai', 1_000);
    expect(schedule.due(1_000)).toEqual([]);
    expect(schedule.next()).toBe(minute);
    expect(schedule.due(minute)).toEqual(['ap-shanghai']);
  });

  it('comes back once after the grace period for chunks that were too young', () => {
    const schedule = new GcSchedule(minute, 10 * minute);
    schedule.deleted('ap-shanghai', 0);
    schedule.ran('ap-shanghai', 0);
    expect(schedule.next()).toBe(10 * minute + 1_000);
    schedule.ran('ap-shanghai', 10 * minute + 1_000);
    expect(schedule.next()).toBeUndefined();
  });

  it('keeps regions apart', () => {
    const schedule = new GcSchedule(minute, 10 * minute);
    schedule.deleted('ap-shanghai', 0);
    schedule.deleted('ap-singapore', 5);
    expect(schedule.due(5).sort()).toEqual(['ap-shanghai', 'ap-singapore']);
  });
});
