import {
  type BusinessCalendar,
  addBusinessTime,
  businessTimeBetween,
  localToUtc,
  zoneOffsetMs,
} from '../../src/domain/business-calendar';
import {
  type SlaClock,
  deadlineMs,
  nextAlert,
  pauseClock,
  resumeClock,
  startClock,
} from '../../src/domain/sla';
import { businessTimeline } from '../../src/domain/business-calendar';

const H = 3_600_000;
const M = 60_000;
const nineToFive: Array<[string, string]> = [['09:00', '17:00']];

function weekdays(timezone: string, windows = nineToFive, holidays: string[] = []): BusinessCalendar {
  return {
    timezone,
    weekly: { mon: windows, tue: windows, wed: windows, thu: windows, fri: windows },
    holidays,
  };
}

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('time zones', () => {
  test('offsets follow DST in Europe/Berlin and America/New_York', () => {
    expect(zoneOffsetMs('Europe/Berlin', utc('2026-01-15T12:00:00Z'))).toBe(1 * H);
    expect(zoneOffsetMs('Europe/Berlin', utc('2026-07-15T12:00:00Z'))).toBe(2 * H);
    expect(zoneOffsetMs('America/New_York', utc('2026-01-15T12:00:00Z'))).toBe(-5 * H);
    expect(zoneOffsetMs('America/New_York', utc('2026-07-15T12:00:00Z'))).toBe(-4 * H);
    expect(iso(localToUtc('Europe/Berlin', 2026, 3, 30, 9 * 60))).toBe('2026-03-30T07:00:00.000Z');
    expect(iso(localToUtc('Europe/Berlin', 2026, 3, 27, 9 * 60))).toBe('2026-03-27T08:00:00.000Z');
  });
});

describe('business time', () => {
  const berlin = weekdays('Europe/Berlin');

  test('a 1-hour target set at 16:30 on a Friday breaches at 09:30 on Monday', () => {
    const friday1630 = localToUtc('Europe/Berlin', 2026, 11, 20, 16 * 60 + 30);
    expect(iso(addBusinessTime(berlin, friday1630, 1 * H))).toBe(
      iso(localToUtc('Europe/Berlin', 2026, 11, 23, 9 * 60 + 30)),
    );
  });

  test('time outside open hours and on weekends does not count', () => {
    const fri16 = localToUtc('Europe/Berlin', 2026, 11, 20, 16 * 60);
    const mon10 = localToUtc('Europe/Berlin', 2026, 11, 23, 10 * 60);
    expect(businessTimeBetween(berlin, fri16, mon10)).toBe(2 * H);
    const sat = localToUtc('Europe/Berlin', 2026, 11, 21, 12 * 60);
    expect(businessTimeBetween(berlin, sat, sat + 5 * H)).toBe(0);
  });

  test('holidays are skipped', () => {
    const withHolidays = weekdays('Europe/Berlin', nineToFive, ['2026-12-24', '2026-12-25']);
    const wed1630 = localToUtc('Europe/Berlin', 2026, 12, 23, 16 * 60 + 30);
    // Thu 24th and Fri 25th are holidays, then the weekend: Monday 28th 09:30.
    expect(iso(addBusinessTime(withHolidays, wed1630, 1 * H))).toBe(
      iso(localToUtc('Europe/Berlin', 2026, 12, 28, 9 * 60 + 30)),
    );
  });

  test('several windows a day (a lunch break)', () => {
    const split = weekdays('Europe/Berlin', [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ]);
    const mon1130 = localToUtc('Europe/Berlin', 2026, 11, 23, 11 * 60 + 30);
    expect(iso(addBusinessTime(split, mon1130, 1 * H))).toBe(
      iso(localToUtc('Europe/Berlin', 2026, 11, 23, 13 * 60 + 30)),
    );
    expect(businessTimeBetween(split, mon1130, localToUtc('Europe/Berlin', 2026, 11, 23, 14 * 60))).toBe(
      90 * M,
    );
  });

  test.each([
    ['Europe/Berlin', 2026, 3, 27, 3, 30], // spring forward on Sunday 29 March
    ['America/New_York', 2026, 3, 6, 3, 9], // spring forward on Sunday 8 March
    ['Europe/Berlin', 2026, 10, 23, 10, 26], // fall back on Sunday 25 October
    ['America/New_York', 2026, 10, 30, 11, 2], // fall back on Sunday 1 November
  ])('%s: windows keep their local hours across the DST change (%i-%i-%i)', (tz, y, m, d, m2, d2) => {
    const cal = weekdays(tz);
    const friday1630 = localToUtc(tz, y, m, d, 16 * 60 + 30);
    const deadline = addBusinessTime(cal, friday1630, 2 * H);
    expect(iso(deadline)).toBe(iso(localToUtc(tz, y, m2, d2, 10 * 60 + 30)));
    expect(businessTimeBetween(cal, friday1630, deadline)).toBe(2 * H);
  });

  test('a calendar with no open hours is an error, not a hang', () => {
    const never: BusinessCalendar = { timezone: 'UTC', weekly: {}, holidays: [] };
    expect(() => addBusinessTime(never, 0, H)).toThrow(/no open time/);
  });
});

describe('SLA clocks on business time', () => {
  const cal = weekdays('America/New_York');
  const timeline = businessTimeline(cal);

  test('deadline and 85% warning land inside open hours', () => {
    const mon16 = localToUtc('America/New_York', 2026, 11, 23, 16 * 60);
    const clock = startClock('first_response', 4 * H, mon16);
    expect(iso(deadlineMs(clock, timeline)!)).toBe(
      iso(localToUtc('America/New_York', 2026, 11, 24, 12 * 60)),
    );
    const warning = nextAlert(clock, [0.85], timeline)!;
    // 85% of 4 h = 3 h 24 m: 1 h on Monday, 2 h 24 m on Tuesday from 09:00.
    expect(iso(warning.dueAtMs)).toBe(iso(localToUtc('America/New_York', 2026, 11, 24, 11 * 60 + 24)));
  });

  test('a pause spanning closed hours moves the deadline by the paused business time only', () => {
    const mon10 = localToUtc('America/New_York', 2026, 11, 23, 10 * 60);
    let clock: SlaClock = startClock('resolution', 8 * H, mon10);
    clock = pauseClock(clock, localToUtc('America/New_York', 2026, 11, 23, 12 * 60), timeline); // 2 h spent
    expect(clock.elapsedMs).toBe(2 * H);
    clock = resumeClock(clock, localToUtc('America/New_York', 2026, 11, 24, 20 * 60)); // resumed Tuesday evening (closed)
    // 6 h left from Wednesday 09:00 → Wednesday 15:00.
    expect(iso(deadlineMs(clock, timeline)!)).toBe(
      iso(localToUtc('America/New_York', 2026, 11, 25, 15 * 60)),
    );
  });
});
