import type { Principal } from './principal';
import type { DeadlineRule } from './regulatory-deadlines';

/** The event a regime counts its deadlines from. */
export const CLOCK_STARTS = ['awareness', 'materiality', 'discovery'] as const;
export type ClockStart = (typeof CLOCK_STARTS)[number];

export interface RegimeStage {
  stage: string;
  rule: DeadlineRule;
  /** A filing after the deadline must say why (GDPR Art. 33(1)). */
  lateNeedsReason: boolean;
}

export interface RegimeDefinition {
  name: string;
  startsFrom: ClockStart;
  timeZone: string;
  stages: RegimeStage[];
  /** Hours before each deadline at which the incident's people are reminded. */
  remindBeforeHours: number[];
}

/** US federal holidays 2026–2027 (the SEC's business days); the policy file can replace the list. */
export const US_FEDERAL_HOLIDAYS = [
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
  '2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-24',
];

/** The regimes Firebreak knows; a policy file may add custom ones under other ids. */
export const DEFAULT_REGIMES: Record<string, RegimeDefinition> = {
  gdpr_art33: {
    name: 'GDPR Art. 33 notification to the supervisory authority',
    startsFrom: 'awareness',
    timeZone: 'UTC',
    stages: [{ stage: 'notification', rule: { hours: 72 }, lateNeedsReason: true }],
    remindBeforeHours: [24, 4],
  },
  nis2_art23: {
    name: 'NIS2 Art. 23 reporting to the CSIRT',
    startsFrom: 'awareness',
    timeZone: 'UTC',
    stages: [
      { stage: 'early_warning', rule: { hours: 24 }, lateNeedsReason: false },
      { stage: 'notification', rule: { hours: 72 }, lateNeedsReason: false },
      { stage: 'final_report', rule: { months: 1 }, lateNeedsReason: false },
    ],
    remindBeforeHours: [12, 2],
  },
  sec_8k_105: {
    name: 'SEC Form 8-K Item 1.05',
    startsFrom: 'materiality',
    timeZone: 'America/New_York',
    stages: [{ stage: 'form_8k', rule: { businessDays: 4, cutoff: '17:30' }, lateNeedsReason: false }],
    remindBeforeHours: [48, 8],
  },
  hipaa_breach: {
    name: 'HIPAA breach notification',
    startsFrom: 'discovery',
    timeZone: 'UTC',
    stages: [{ stage: 'individual_notice', rule: { calendarDays: 60 }, lateNeedsReason: false }],
    remindBeforeHours: [14 * 24, 3 * 24],
  },
};

export interface Filing {
  reference: string;
  filedAt: string;
  by: Principal;
  late: boolean;
  lateReason?: string;
}

export interface RegulatoryClock {
  regime: string;
  stage: string;
  startsFrom: ClockStart;
  startedAt: string;
  dueAt: string;
  lateNeedsReason: boolean;
  /** Reminder instants, earliest first; `remindersSent` of them have gone out. */
  remindAt: string[];
  remindersSent: number;
  missed: boolean;
  filing?: Filing;
}

export type ClockEvent = { kind: 'reminder' | 'due'; index: number; at: number };

/** The next thing a clock must do: a reminder, or the deadline passing unfiled. */
export function nextClockEvent(clocks: readonly RegulatoryClock[]): ClockEvent | undefined {
  let next: ClockEvent | undefined;
  clocks.forEach((clock, index) => {
    if (clock.filing || clock.missed) return;
    const reminder = clock.remindAt[clock.remindersSent];
    const candidate: ClockEvent = reminder ? { kind: 'reminder', index, at: Date.parse(reminder) } : { kind: 'due', index, at: Date.parse(clock.dueAt) };
    if (!next || candidate.at < next.at) next = candidate;
  });
  return next;
}

export function filingRejection(clocks: readonly RegulatoryClock[], regime: string, stage: string, filedAt: Date, lateReason: string | undefined): string | undefined {
  const clock = clocks.find((c) => c.regime === regime && c.stage === stage);
  if (!clock) return `no ${regime} ${stage} clock runs on this incident`;
  if (clock.filing) return `${regime} ${stage} was already filed (${clock.filing.reference}) by ${clock.filing.by.name}`;
  if (filedAt.getTime() > Date.parse(clock.dueAt) && clock.lateNeedsReason && !lateReason) {
    return `the ${regime} ${stage} deadline was ${clock.dueAt}; a late filing must carry its reasons (lateReason)`;
  }
  return undefined;
}
