import { deadlineChoice } from './deadline';

describe('the copy dialog’s deadline', () => {
  const now = new Date(2026, 11, 4, 10, 0, 0); // local time, as the browser's field is

  it('is optional, and a local time in the future is sent as UTC', () => {
    expect(deadlineChoice('', now)).toEqual({});
    expect(deadlineChoice('2026-12-04T18:30', now)).toEqual({
      deadline: new Date(2026, 11, 4, 18, 30).toISOString(),
    });
  });

  it('refuses the past, more than a year ahead and junk, with the API’s reason', () => {
    expect(deadlineChoice('2026-12-04T09:59', now).problem).toMatch(/is not in the future\.$/);
    expect(deadlineChoice('2028-01-01T00:00', now).problem).toBe(
      'Deadline must be at most a year ahead.',
    );
    expect(deadlineChoice('tomorrow', now).problem).toBe('Not a date and time.');
  });
});
