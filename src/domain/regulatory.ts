import type { Principal } from './principal';
import type { DeadlineRule } from './regulatory-deadlines';

/** The event a regime counts its deadlines from. */
export const CLOCK_STARTS = ['awareness', 'materiality', 'discovery'] as const;
export type ClockStart = (typeof CLOCK_STARTS)[number];

/** How many people a breach affects: in all, and in the one state with the most (HIPAA's thresholds). */
export interface AffectedCounts {
  total: number;
  maxInOneState: number;
}

/** A stage applies, or counts by its main rule, only from this many affected people. */
export interface AffectedThreshold {
  count: keyof AffectedCounts;
  atLeast: number;
}

export const countsMeet = (threshold: AffectedThreshold, affected: AffectedCounts) => affected[threshold.count] >= threshold.atLeast;

export interface RegimeStage {
  stage: string;
  rule: DeadlineRule;
  /** A filing after the deadline must say why (GDPR Art. 33(1)). */
  lateNeedsReason: boolean;
  /** The stage whose filing starts this one's clock, instead of the regime's start event. */
  startsAfter?: string;
  /** Counted by `rule` only when the affected counts meet this; otherwise by `otherwise`, or not at all. */
  when?: AffectedThreshold;
  otherwise?: DeadlineRule;
}

export interface RegimeDefinition {
  name: string;
  startsFrom: ClockStart;
  timeZone: string;
  /** The holiday calendar business days skip (business-days.ts); US federal holidays when absent. */
  holidayCalendar?: string;
  stages: RegimeStage[];
  /** Hours before each deadline at which the incident's people are reminded. */
  remindBeforeHours: number[];
}

/**
 * SEC 8-K Item 1.05 and its like count from the materiality determination, not from an event a
 * person declares: their clocks start when an incident is determined material.
 */
export const startsOnMateriality = (regime: Pick<RegimeDefinition, 'startsFrom'>): boolean => regime.startsFrom === 'materiality';

/** The regimes, by id, whose clocks a materiality determination starts. */
export function materialityRegimes<R extends Pick<RegimeDefinition, 'startsFrom'>>(regimes: Record<string, R>): Array<[string, R]> {
  return Object.entries(regimes).filter(([, regime]) => startsOnMateriality(regime));
}

const DAYS_60 = { calendarDays: 60 } as const;

/** The regimes Firebreak knows; a policy file may add custom ones under other ids. */
export const DEFAULT_REGIMES: Record<string, RegimeDefinition> = {
  gdpr_art33: {
    name: 'GDPR Art. 33 notification to the supervisory authority',
    startsFrom: 'awareness',
    timeZone: 'UTC',
    stages: [{ stage: 'notification', rule: { hours: 72 }, lateNeedsReason: true }],
    remindBeforeHours: [24, 4],
  },
  gdpr_art34: {
    // Declared when the breach is likely to result in a high risk to people's rights and freedoms.
    name: 'GDPR Art. 34 communication to the data subjects',
    startsFrom: 'awareness',
    timeZone: 'UTC',
    stages: [{ stage: 'data_subjects', rule: { withoutUndueDelay: true }, lateNeedsReason: false }],
    remindBeforeHours: [],
  },
  nis2_art23: {
    name: 'NIS2 Art. 23 reporting to the CSIRT',
    startsFrom: 'awareness',
    timeZone: 'UTC',
    stages: [
      { stage: 'early_warning', rule: { hours: 24 }, lateNeedsReason: false },
      { stage: 'notification', rule: { hours: 72 }, lateNeedsReason: false },
      // Art. 23(4)(d): "not later than one month after the submission of the incident notification".
      { stage: 'final_report', rule: { months: 1 }, lateNeedsReason: false, startsAfter: 'notification' },
    ],
    remindBeforeHours: [12, 2],
  },
  sec_8k_105: {
    name: 'SEC Form 8-K Item 1.05',
    startsFrom: 'materiality',
    timeZone: 'America/New_York',
    holidayCalendar: 'US',
    stages: [{ stage: 'form_8k', rule: { businessDays: 4, cutoff: '17:30' }, lateNeedsReason: false }],
    remindBeforeHours: [48, 8],
  },
  hipaa_breach: {
    // 45 CFR 164.404 (individuals), 164.408 (HHS), 164.406 (media), each counted from discovery.
    name: 'HIPAA breach notification',
    startsFrom: 'discovery',
    timeZone: 'UTC',
    stages: [
      { stage: 'individual_notice', rule: DAYS_60, lateNeedsReason: false },
      // 500 or more: with the individuals' notice; fewer: the annual log, 60 days after the year ends.
      { stage: 'hhs_notice', rule: DAYS_60, when: { count: 'total', atLeast: 500 }, otherwise: { daysAfterYearEnd: 60 }, lateNeedsReason: false },
      { stage: 'media_notice', rule: DAYS_60, when: { count: 'maxInOneState', atLeast: 500 }, lateNeedsReason: false },
    ],
    remindBeforeHours: [14 * 24, 3 * 24],
  },
};

export interface Filing {
  reference: string;
  /** When the filing was made, as stated by the person recording it. */
  filedAt: string;
  /** When it was recorded here. */
  recordedAt?: string;
  by: Principal;
  late: boolean;
  lateReason?: string;
  /** Recorded after the deadline with an earlier stated filing time: on time by its word only. */
  recordedAfterDeadline?: boolean;
}

type UndueDelayOrDue = { dueAt: string; withoutUndueDelay?: never } | { dueAt?: never; withoutUndueDelay: true };

export interface RegulatoryClock {
  regime: string;
  stage: string;
  startsFrom: ClockStart;
  /** The stage whose filing started this clock (or will start it). */
  startsAfter?: string;
  /** Absent while the clock waits for the filing it starts after. */
  startedAt?: string;
  /** Absent while waiting, and for a stage due "without undue delay" (`withoutUndueDelay`). */
  dueAt?: string;
  withoutUndueDelay?: true;
  lateNeedsReason: boolean;
  /** Reminder instants, earliest first; `remindersSent` of them have gone out. */
  remindAt: string[];
  remindersSent: number;
  missed: boolean;
  filing?: Filing;
  /** While waiting for the `startsAfter` filing: how it will count once that arrives. */
  waiting?: { rule: DeadlineRule; remindBeforeHours: number[] };
  /** Until the affected counts are known: the threshold of `dueAt`, and the counting below it (none: the stage lapses). */
  when?: AffectedThreshold;
  otherwise?: UndueDelayOrDue & { remindAt: string[] };
}

export type ClockEvent = { kind: 'reminder' | 'due'; index: number; at: number; dueAt: string };

/** The next thing a clock must do: a reminder, or the deadline passing unfiled. Clocks without a deadline have none. */
export function nextClockEvent(clocks: readonly RegulatoryClock[]): ClockEvent | undefined {
  let next: ClockEvent | undefined;
  clocks.forEach((clock, index) => {
    if (clock.filing || clock.missed || !clock.dueAt || clock.when) return;
    const reminder = clock.remindAt[clock.remindersSent];
    const candidate: ClockEvent = reminder
      ? { kind: 'reminder', index, at: Date.parse(reminder), dueAt: clock.dueAt }
      : { kind: 'due', index, at: Date.parse(clock.dueAt), dueAt: clock.dueAt };
    if (!next || candidate.at < next.at) next = candidate;
  });
  return next;
}

/** Clocks whose stages depend on the affected counts, settled by them: a stage below its threshold counts by its `otherwise`, or lapses. */
export function settleClocks(clocks: readonly RegulatoryClock[], affected: AffectedCounts | undefined): RegulatoryClock[] {
  return clocks.flatMap((clock) => {
    if (!clock.when) return [clock];
    if (!affected) return [clock];
    const { when, otherwise, ...settled } = clock;
    if (countsMeet(when, affected)) return [settled];
    if (!otherwise) return [];
    const { dueAt: _dueAt, withoutUndueDelay: _undue, ...rest } = settled;
    return [{ ...rest, ...otherwise }];
  });
}

/** The affected counts a regime declaration carries, when it carries them (hipaa_breach needs them). */
export function affectedCountsOf(declaration: object): AffectedCounts | undefined {
  return 'affected' in declaration ? (declaration.affected as AffectedCounts | undefined) : undefined;
}

/** Why a regime's clocks cannot start as declared: counts it needs and does not have. */
export function clocksRejection(regime: string, clocks: readonly RegulatoryClock[], affected: AffectedCounts | undefined): string | undefined {
  if (!affected && clocks.some((c) => c.when)) return `${regime} needs the number of people affected: affected.total and affected.maxInOneState`;
  return undefined;
}

/**
 * A deadline counted from a filing, by the workflow when the filing is recorded. Only rules that
 * come out the same on every replay: elapsed hours, and calendar days and months in UTC
 * (regulatory-deadlines.ts refuses anything else for such a stage).
 */
export function utcDeadline(start: Date, rule: DeadlineRule): Date | undefined {
  if ('withoutUndueDelay' in rule) return undefined;
  if ('hours' in rule) return new Date(start.getTime() + rule.hours * 3_600_000);
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  const d = start.getUTCDate();
  if ('calendarDays' in rule) return new Date(Date.UTC(y, m, d + rule.calendarDays + 1) - 1);
  if ('months' in rule) {
    const lastDay = new Date(Date.UTC(y, m + rule.months + 1, 0)).getUTCDate();
    const timeOfDay = start.getTime() - Date.UTC(y, m, d);
    return new Date(Date.UTC(y, m + rule.months, Math.min(d, lastDay)) + timeOfDay);
  }
  throw new Error(`a deadline counted from a filing cannot use ${JSON.stringify(rule)}`);
}

/** Reminder instants before a deadline, earliest first, leaving out those not after the clock's start. */
export function remindersBefore(due: Date | undefined, after: Date, remindBeforeHours: readonly number[]): string[] {
  if (!due) return [];
  return remindBeforeHours
    .map((h) => due.getTime() - h * 3_600_000)
    .filter((t) => t > after.getTime())
    .sort((a, b) => a - b)
    .map((t) => new Date(t).toISOString());
}

const SKEW_MS = 5 * 60_000;

export function filingRejection(clocks: readonly RegulatoryClock[], regime: string, stage: string, filedAt: Date, lateReason: string | undefined, now?: Date): string | undefined {
  const clock = clocks.find((c) => c.regime === regime && c.stage === stage);
  if (!clock) return `no ${regime} ${stage} clock runs on this incident`;
  if (clock.filing) return `${regime} ${stage} was already filed (${clock.filing.reference}) by ${clock.filing.by.name}`;
  if (!clock.startedAt) return `the ${regime} ${stage} clock starts when ${clock.startsAfter} is filed; record that filing first`;
  if (filedAt.getTime() < Date.parse(clock.startedAt)) {
    return `filedAt ${filedAt.toISOString()} is before the ${regime} ${stage} clock started (${clock.startedAt}); a filing cannot precede what it reports`;
  }
  if (now && filedAt.getTime() > now.getTime() + SKEW_MS) return `filedAt ${filedAt.toISOString()} is in the future`;
  if (clock.dueAt && filedAt.getTime() > Date.parse(clock.dueAt) && clock.lateNeedsReason && !lateReason) {
    return `the ${regime} ${stage} deadline was ${clock.dueAt}; a late filing must carry its reasons (lateReason)`;
  }
  return undefined;
}

/**
 * The clocks once a filing is recorded at `recordedAt`: the filing on its clock, late when its
 * stated time is past the deadline, and flagged when only its stated time is on time; and the
 * clocks waiting for this stage's filing started from its stated time.
 */
export function fileClock(clocks: readonly RegulatoryClock[], regime: string, stage: string, filing: Omit<Filing, 'late' | 'recordedAt' | 'recordedAfterDeadline'>, recordedAt: Date): RegulatoryClock[] {
  const filed = Date.parse(filing.filedAt);
  return clocks.map((c) => {
    if (c.regime !== regime) return c;
    if (c.stage === stage) {
      const due = c.dueAt ? Date.parse(c.dueAt) : Infinity;
      const late = filed > due;
      const recordedAfterDeadline = !late && recordedAt.getTime() > due;
      return { ...c, filing: { ...filing, recordedAt: recordedAt.toISOString(), late, ...(recordedAfterDeadline ? { recordedAfterDeadline } : {}) } };
    }
    if (c.startsAfter === stage && c.waiting && !c.startedAt) {
      const start = new Date(filed);
      const due = utcDeadline(start, c.waiting.rule);
      const { waiting, ...started } = c;
      const remindAt = remindersBefore(due, start, waiting.remindBeforeHours);
      return { ...started, startedAt: start.toISOString(), ...(due ? { dueAt: due.toISOString() } : { withoutUndueDelay: true as const }), remindAt };
    }
    return c;
  });
}

/** How a clock's deadline reads in a sentence. */
export function dueText(clock: RegulatoryClock): string {
  if (clock.dueAt) return `by ${clock.dueAt}`;
  if (!clock.startedAt) return `once ${clock.startsAfter} is filed`;
  return 'without undue delay';
}
