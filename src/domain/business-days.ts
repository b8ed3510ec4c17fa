import Holidays from 'date-holidays';

/**
 * Which days a regulator counts as business days: weekdays that are not public holidays of its
 * jurisdiction. The holidays are computed by rule (date-holidays), so there is no list to run out
 * at the end of a year; a date the calendar has no data for throws instead of counting as a
 * business day, because a deadline one day too early or too late is a wrong filing date.
 */
export interface BusinessCalendar {
  /** A local date (YYYY-MM-DD) and its weekday (1 Monday … 7 Sunday). Throws for a date it has no data for. */
  isBusinessDay(localDate: string, weekday: number): boolean;
}

export class CalendarGapError extends Error {
  override name = 'CalendarGapError';
}

/**
 * The holiday calendars regimes may name, with the first year their rules describe: before it the
 * holidays were different (the US list reached its present shape when Juneteenth was added in
 * 2021), so an earlier date has no data rather than a wrong answer.
 */
export const HOLIDAY_CALENDARS: Record<string, { country: string; state?: string; since: number; name: string }> = {
  US: { country: 'US', since: 2021, name: 'US federal holidays (OPM), a Saturday holiday observed on the Friday, a Sunday one on the Monday' },
};

const yearCache = new Map<string, ReadonlySet<string>>();

function publicHolidays(calendarId: string, year: number): ReadonlySet<string> {
  const key = `${calendarId}:${year}`;
  const cached = yearCache.get(key);
  if (cached) return cached;
  const spec = HOLIDAY_CALENDARS[calendarId];
  if (!spec) throw new CalendarGapError(`no holiday calendar ${calendarId}; known: ${Object.keys(HOLIDAY_CALENDARS).join(', ')}`);
  if (year < spec.since) throw new CalendarGapError(`the ${calendarId} holiday calendar has no data for ${year} (it covers ${spec.since} onwards)`);
  const holidays = spec.state ? new Holidays(spec.country, spec.state) : new Holidays(spec.country);
  // Substitute days ("observed") are public holidays of their own; observances (Valentine's Day) are not days off.
  const days = new Set(holidays.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
  if (days.size === 0) throw new CalendarGapError(`the ${calendarId} holiday calendar has no data for ${year}`);
  yearCache.set(key, days);
  return days;
}

/**
 * A jurisdiction's business days (`calendarId`, e.g. "US"), less any further closures the
 * policy file lists (`extraClosures`, local dates).
 */
export function businessCalendar(calendarId: string, extraClosures: readonly string[] = []): BusinessCalendar {
  if (!HOLIDAY_CALENDARS[calendarId]) throw new CalendarGapError(`no holiday calendar ${calendarId}; known: ${Object.keys(HOLIDAY_CALENDARS).join(', ')}`);
  const closed = new Set(extraClosures);
  return {
    isBusinessDay(localDate, weekday) {
      const year = Number(localDate.slice(0, 4));
      const holidays = publicHolidays(calendarId, year);
      return weekday <= 5 && !holidays.has(localDate) && !closed.has(localDate);
    },
  };
}
