/**
 * Business-time arithmetic: a calendar of weekly working windows in a time zone, with holidays. SLA clocks
 * count only the time inside open windows. Pure (Intl only), so the workflow can use it deterministically.
 *
 * Local wall times are turned into instants with the zone's offset at that moment, so DST changes move the
 * windows' UTC times as they should (a 09:00 start stays 09:00 local on both sides of the change).
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessCalendar {
  /** IANA time zone, e.g. Europe/Berlin. */
  timezone: string;
  /** Open windows per weekday as ["HH:MM", "HH:MM"] pairs; several a day are allowed (lunch breaks). */
  weekly: Partial<Record<Weekday, Array<[string, string]>>>;
  /** Local dates (YYYY-MM-DD) on which nothing is open. */
  holidays: string[];
}

export interface Timeline {
  /** Countable time between two instants (ms). */
  between(fromMs: number, toMs: number): number;
  /** The instant at which `durationMs` of countable time has passed since `startMs`. */
  add(startMs: number, durationMs: number): number;
}

/** Around-the-clock time: every millisecond counts. */
export const WALL_CLOCK: Timeline = {
  between: (fromMs, toMs) => Math.max(0, toMs - fromMs),
  add: (startMs, durationMs) => startMs + durationMs,
};

const DAY_MS = 86_400_000;
/** A calendar with no open time at all would make deadlines infinite: give up after this many days. */
export const MAX_SCAN_DAYS = 3 * 366;

/** A duration that the calendar cannot fit within MAX_SCAN_DAYS: a policy check should have refused it. */
export class CalendarHorizonError extends Error {
  constructor() {
    super('the business calendar has no open time within three years');
    this.name = 'CalendarHorizonError';
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC (ms) at an instant. */
export function zoneOffsetMs(timezone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The instant of a local wall time; in a DST gap it lands just after the gap. */
export function localToUtc(
  timezone: string,
  year: number,
  month: number,
  day: number,
  minutes: number,
): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wall - zoneOffsetMs(timezone, wall);
  guess = wall - zoneOffsetMs(timezone, guess);
  return guess;
}

function parseMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** The local calendar date (y, m, d) of an instant. */
function localDate(timezone: string, utcMs: number): { year: number; month: number; day: number } {
  const shifted = new Date(utcMs + zoneOffsetMs(timezone, utcMs));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** Open windows of one local date, as UTC instants, in order. */
function windowsOn(cal: BusinessCalendar, year: number, month: number, day: number): Array<[number, number]> {
  const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (cal.holidays.includes(iso)) return [];
  const weekday = WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]!;
  return (cal.weekly[weekday] ?? [])
    .map(([start, end]): [number, number] => [
      localToUtc(cal.timezone, year, month, day, parseMinutes(start)),
      localToUtc(cal.timezone, year, month, day, parseMinutes(end)),
    ])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
}

/**
 * Each local date's windows, computed once per calendar object (the time-zone arithmetic is the costly part;
 * the workflow asks for the same days again at every activation). Pure: a cache of a pure function.
 */
const dayWindows = new WeakMap<BusinessCalendar, Map<number, Array<[number, number]>>>();
const MAX_CACHED_DAYS = 4000;

function windowsOnDay(cal: BusinessCalendar, dayMs: number): Array<[number, number]> {
  let days = dayWindows.get(cal);
  if (!days) {
    days = new Map();
    dayWindows.set(cal, days);
  }
  let windows = days.get(dayMs);
  if (!windows) {
    const d = new Date(dayMs);
    windows = windowsOn(cal, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
    if (days.size >= MAX_CACHED_DAYS) days.clear();
    days.set(dayMs, windows);
  }
  return windows;
}

/** Open windows overlapping [fromMs, …), in order, day by day. */
function* openWindowsFrom(cal: BusinessCalendar, fromMs: number): Generator<[number, number]> {
  const start = localDate(cal.timezone, fromMs);
  const first = Date.UTC(start.year, start.month - 1, start.day);
  for (let i = -1; i <= MAX_SCAN_DAYS; i++) {
    for (const [s, e] of windowsOnDay(cal, first + i * DAY_MS)) {
      if (e > fromMs) yield [Math.max(s, fromMs), e];
    }
  }
}

export function businessTimeBetween(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  let total = 0;
  for (const [s, e] of openWindowsFrom(cal, fromMs)) {
    if (s >= toMs) break;
    total += Math.min(e, toMs) - s;
  }
  return total;
}

export function addBusinessTime(cal: BusinessCalendar, startMs: number, durationMs: number): number {
  let left = durationMs;
  if (left <= 0) return startMs;
  for (const [s, e] of openWindowsFrom(cal, startMs)) {
    if (e - s >= left) return s + left;
    left -= e - s;
  }
  throw new CalendarHorizonError();
}

/** A calendar the arithmetic cannot use at all (an unknown time zone): a policy check should have refused it. */
export class InvalidCalendarError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InvalidCalendarError';
  }
}

export function businessTimeline(cal: BusinessCalendar): Timeline {
  if (typeof cal.timezone !== 'string' || !isValidTimeZone(cal.timezone)) {
    // No time counts on a calendar that cannot be read, and no deadline can be placed: state changes still
    // work (pausing, stopping), and whoever places a deadline learns why it cannot.
    const error = () => new InvalidCalendarError('the business calendar has no valid time zone');
    return {
      between: () => 0,
      add: () => {
        throw error();
      },
    };
  }
  return {
    between: (fromMs, toMs) => businessTimeBetween(cal, fromMs, toMs),
    add: (startMs, durationMs) => addBusinessTime(cal, startMs, durationMs),
  };
}
