import { DateTime } from 'luxon';
import { businessCalendar } from './business-days';
import { remindersBefore, settleClocks, type AffectedCounts, type RegimeDefinition, type RegimeStage, type RegulatoryClock } from './regulatory';

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
  | { businessDays: number; cutoff: string }
  /** The end of the n-th day after the end of the start's calendar year (HIPAA's annual log to HHS, 45 CFR 164.408(c)). */
  | { daysAfterYearEnd: number }
  /** No fixed deadline: "without undue delay" (GDPR Art. 34). Tracked until filed, never missed. */
  | { withoutUndueDelay: true };

export interface RegulatoryCalendar {
  /** IANA zone, e.g. "America/New_York". */
  timeZone: string;
  /** Further local dates (YYYY-MM-DD) that are not business days, beyond the holiday calendar's. */
  holidays: readonly string[];
  /** The holiday calendar business days skip (business-days.ts); US federal holidays by default. */
  holidayCalendar?: string;
}

function local(instant: Date, zone: string): DateTime {
  const dt = DateTime.fromJSDate(instant, { zone });
  if (!dt.isValid) throw new RangeError(`unknown time zone ${zone}`);
  return dt;
}

/**
 * The instant a deadline falls due, counted from `start` by `rule` in the calendar's zone;
 * undefined for a stage without a fixed deadline. Throws when the holiday calendar has no data
 * for a day it must count.
 */
export function regulatoryDeadline(start: Date, rule: DeadlineRule, calendar: RegulatoryCalendar): Date | undefined {
  if ('withoutUndueDelay' in rule) return undefined;
  if ('hours' in rule) return new Date(start.getTime() + rule.hours * 3_600_000);
  const begin = local(start, calendar.timeZone);
  if ('calendarDays' in rule) return begin.plus({ days: rule.calendarDays }).endOf('day').toJSDate();
  if ('months' in rule) return begin.plus({ months: rule.months }).toJSDate();
  if ('daysAfterYearEnd' in rule) return begin.endOf('year').plus({ days: rule.daysAfterYearEnd }).endOf('day').toJSDate();
  const [hour, minute] = rule.cutoff.split(':').map(Number) as [number, number];
  const business = businessCalendar(calendar.holidayCalendar ?? 'US', calendar.holidays);
  let day = begin.startOf('day');
  for (let counted = 0; counted < rule.businessDays; ) {
    day = day.plus({ days: 1 });
    if (business.isBusinessDay(day.toISODate()!, day.weekday)) counted += 1;
  }
  return day.set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
}

/**
 * A stage that starts when another is filed is counted by the workflow when that filing arrives,
 * so its rule must not need the time-zone database or a holiday calendar, which could differ on a
 * later replay: hours, or calendar days and months in UTC.
 */
function assertCountableInWorkflow(regimeId: string, regime: RegimeDefinition, stage: RegimeStage): void {
  const rule = stage.rule;
  if ('hours' in rule || 'withoutUndueDelay' in rule) return;
  if (('calendarDays' in rule || 'months' in rule) && regime.timeZone === 'UTC') return;
  throw new Error(`${regimeId} ${stage.stage} starts after ${stage.startsAfter} is filed, so it must count in hours, or in calendar days or months in UTC`);
}

/**
 * The clocks a regime starts at `start` (the event it counts from), with their reminders. A stage
 * that starts after another's filing waits for it (NIS2 final report); a stage that depends on how
 * many people are affected (HIPAA) is counted both ways and settled by `settleClocks` once the
 * counts are known (here, when `affected` is given).
 */
export function clocksFor(regimeId: string, regime: RegimeDefinition, start: Date, holidays: readonly string[], affected?: AffectedCounts): RegulatoryClock[] {
  const calendar: RegulatoryCalendar = { timeZone: regime.timeZone, holidays, ...(regime.holidayCalendar ? { holidayCalendar: regime.holidayCalendar } : {}) };
  const base = { regime: regimeId, startsFrom: regime.startsFrom, remindersSent: 0, missed: false };
  return regime.stages.flatMap((s): RegulatoryClock[] => {
    if (s.startsAfter) {
      assertCountableInWorkflow(regimeId, regime, s);
      return [{ ...base, stage: s.stage, startsAfter: s.startsAfter, lateNeedsReason: s.lateNeedsReason, remindAt: [], waiting: { rule: s.rule, remindBeforeHours: regime.remindBeforeHours } }];
    }
    const clockBy = (rule: DeadlineRule) => {
      const due = regulatoryDeadline(start, rule, calendar);
      return { ...(due ? { dueAt: due.toISOString() } : { withoutUndueDelay: true as const }), remindAt: remindersBefore(due, start, regime.remindBeforeHours) };
    };
    const clock: RegulatoryClock = { ...base, stage: s.stage, startedAt: start.toISOString(), lateNeedsReason: s.lateNeedsReason, ...clockBy(s.rule) };
    if (!s.when) return [clock];
    // Both countings are done here, where the calendar lives; the workflow picks one by the counts.
    const candidate: RegulatoryClock = { ...clock, when: s.when, ...(s.otherwise ? { otherwise: clockBy(s.otherwise) } : {}) };
    return affected ? settleClocks([candidate], affected) : [candidate];
  });
}
