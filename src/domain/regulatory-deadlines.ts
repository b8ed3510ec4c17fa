import { DateTime } from 'luxon';
import type { RegimeDefinition, RegulatoryClock } from './regulatory';

/**
 * How a regulator counts a deadline. The arithmetic is done in the regime's time zone, so a
 * DST change or a weekend falls where the regulator's calendar puts it.
 */
export type DeadlineRule =
  /** Elapsed hours, whatever the calendar says (GDPR Art. 33, NIS2 early warning). */
  | { hours: number }
  /** The end of the n-th calendar day after the start (HIPAA: "no later than 60 calendar days"). */
  | { calendarDays: number }
  /** The same local time n months later, clamped to the month's end (NIS2 final report). */
  | { months: number }
  /** The cutoff on the n-th business day after the start, skipping weekends and holidays (SEC 8-K). */
  | { businessDays: number; cutoff: string };

export interface RegulatoryCalendar {
  /** IANA zone, e.g. "America/New_York". */
  timeZone: string;
  /** Local dates (YYYY-MM-DD) that are not business days. */
  holidays: readonly string[];
}

function local(instant: Date, zone: string): DateTime {
  const dt = DateTime.fromJSDate(instant, { zone });
  if (!dt.isValid) throw new RangeError(`unknown time zone ${zone}`);
  return dt;
}

const isBusinessDay = (day: DateTime, holidays: ReadonlySet<string>) => day.weekday <= 5 && !holidays.has(day.toISODate() ?? '');

/** The instant a deadline falls due, counted from `start` by `rule` in the calendar's zone. */
export function regulatoryDeadline(start: Date, rule: DeadlineRule, calendar: RegulatoryCalendar): Date {
  if ('hours' in rule) return new Date(start.getTime() + rule.hours * 3_600_000);
  const begin = local(start, calendar.timeZone);
  if ('calendarDays' in rule) return begin.plus({ days: rule.calendarDays }).endOf('day').toJSDate();
  if ('months' in rule) return begin.plus({ months: rule.months }).toJSDate();
  const [hour, minute] = rule.cutoff.split(':').map(Number) as [number, number];
  const holidays = new Set(calendar.holidays);
  let day = begin.startOf('day');
  for (let counted = 0; counted < rule.businessDays; ) {
    day = day.plus({ days: 1 });
    if (isBusinessDay(day, holidays)) counted += 1;
  }
  return day.set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
}

/** The clocks a regime starts at `start` (the event it counts from), with their reminders. */
export function clocksFor(regimeId: string, regime: RegimeDefinition, start: Date, holidays: readonly string[]): RegulatoryClock[] {
  const calendar: RegulatoryCalendar = { timeZone: regime.timeZone, holidays };
  return regime.stages.map((s) => {
    const due = regulatoryDeadline(start, s.rule, calendar);
    const remindAt = regime.remindBeforeHours
      .map((h) => due.getTime() - h * 3_600_000)
      .filter((t) => t > start.getTime())
      .sort((a, b) => a - b)
      .map((t) => new Date(t).toISOString());
    return {
      regime: regimeId,
      stage: s.stage,
      startsFrom: regime.startsFrom,
      startedAt: start.toISOString(),
      dueAt: due.toISOString(),
      lateNeedsReason: s.lateNeedsReason,
      remindAt,
      remindersSent: 0,
      missed: false,
    };
  });
}

