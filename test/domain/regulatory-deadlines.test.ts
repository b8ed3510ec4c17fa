import { DEFAULT_REGIMES, US_FEDERAL_HOLIDAYS, filingRejection, nextClockEvent } from '../../src/domain/regulatory';
import { clocksFor, regulatoryDeadline, type DeadlineRule } from '../../src/domain/regulatory-deadlines';

const NY = { timeZone: 'America/New_York', holidays: US_FEDERAL_HOLIDAYS };
const UTC = { timeZone: 'UTC', holidays: [] as string[] };

describe('regulatory deadline arithmetic', () => {
  it.each<[string, string, DeadlineRule, { timeZone: string; holidays: readonly string[] }, string]>([
    ['GDPR 72 hours, across the EU spring DST change', '2026-03-27T10:00:00Z', { hours: 72 }, { timeZone: 'Europe/Berlin', holidays: [] }, '2026-03-30T10:00:00.000Z'],
    ['NIS2 early warning, 24 hours', '2026-06-01T23:30:00Z', { hours: 24 }, UTC, '2026-06-02T23:30:00.000Z'],
    ['NIS2 final report, one month, clamped to February', '2026-01-31T12:00:00Z', { months: 1 }, UTC, '2026-02-28T12:00:00.000Z'],
    ['NIS2 final report, one month across the EU autumn DST change, same local time', '2026-10-15T09:00:00Z', { months: 1 }, { timeZone: 'Europe/Berlin', holidays: [] }, '2026-11-15T10:00:00.000Z'],
    ['SEC 8-K, four business days, skipping Thanksgiving and the weekend', '2026-11-25T20:00:00Z', { businessDays: 4, cutoff: '17:30' }, NY, '2026-12-02T22:30:00.000Z'],
    ['SEC 8-K, across the US autumn DST change', '2026-10-30T14:00:00Z', { businessDays: 4, cutoff: '17:30' }, NY, '2026-11-05T22:30:00.000Z'],
    ['SEC 8-K, decided on a Saturday, across the US spring DST change', '2026-03-07T15:00:00Z', { businessDays: 4, cutoff: '17:30' }, NY, '2026-03-12T21:30:00.000Z'],
    ['SEC 8-K, decided late on a Friday evening local time (already Saturday in UTC)', '2026-07-11T02:00:00Z', { businessDays: 4, cutoff: '17:30' }, NY, '2026-07-16T21:30:00.000Z'],
    ['SEC 8-K with an empty holiday list counts Thanksgiving', '2026-11-25T20:00:00Z', { businessDays: 4, cutoff: '17:30' }, { timeZone: 'America/New_York', holidays: [] }, '2026-12-01T22:30:00.000Z'],
    ['HIPAA 60 calendar days, end of the day', '2026-01-10T08:00:00Z', { calendarDays: 60 }, UTC, '2026-03-11T23:59:59.999Z'],
    ['HIPAA 60 calendar days in New York, across the US spring DST change', '2026-02-01T12:00:00Z', { calendarDays: 60 }, { timeZone: 'America/New_York', holidays: [] }, '2026-04-03T03:59:59.999Z'],
  ])('%s', (_label, start, rule, calendar, expected) => {
    expect(regulatoryDeadline(new Date(start), rule, calendar).toISOString()).toBe(expected);
  });

  it('rejects an unknown time zone', () => {
    expect(() => regulatoryDeadline(new Date(), { calendarDays: 1 }, { timeZone: 'Mars/Olympus', holidays: [] })).toThrow(/unknown time zone/);
  });
});

describe('regulatory clocks', () => {
  it('counts from awareness even when it precedes the incident, keeping only reminders after the start', () => {
    const awareness = new Date('2026-05-01T08:00:00Z');
    const [gdpr] = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, awareness, []);
    expect(gdpr).toMatchObject({ regime: 'gdpr_art33', stage: 'notification', startedAt: '2026-05-01T08:00:00.000Z', dueAt: '2026-05-04T08:00:00.000Z', lateNeedsReason: true });
    expect(gdpr!.remindAt).toEqual(['2026-05-03T08:00:00.000Z', '2026-05-04T04:00:00.000Z']);
    const nis2 = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, awareness, []);
    expect(nis2.map((c) => [c.stage, c.dueAt])).toEqual([
      ['early_warning', '2026-05-02T08:00:00.000Z'],
      ['notification', '2026-05-04T08:00:00.000Z'],
      ['final_report', '2026-06-01T08:00:00.000Z'],
    ]);
  });

  it('picks the next reminder or deadline across clocks, skipping filed ones', () => {
    const clocks = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, new Date('2026-05-01T08:00:00Z'), []);
    expect(nextClockEvent(clocks)).toEqual({ kind: 'reminder', index: 0, at: Date.parse('2026-05-01T20:00:00Z') });
    const filed = clocks.map((c, i) => (i === 0 ? { ...c, filing: { reference: 'CSIRT-1', filedAt: '2026-05-01T10:00:00Z', by: { keyId: 'k', name: 'n', role: 'manager' as const }, late: false } } : c));
    expect(nextClockEvent(filed)?.index).toBe(1);
    const allDue = clocks.map((c) => ({ ...c, remindersSent: c.remindAt.length }));
    expect(nextClockEvent(allDue)).toEqual({ kind: 'due', index: 0, at: Date.parse('2026-05-02T08:00:00Z') });
  });

  it('refuses a late GDPR filing without its reasons, and a second filing', () => {
    const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date('2026-05-01T08:00:00Z'), []);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-03T08:00:00Z'), undefined)).toBeUndefined();
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-05T08:00:00Z'), undefined)).toMatch(/late filing must carry its reasons/);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-05T08:00:00Z'), 'forensics took longer')).toBeUndefined();
    expect(filingRejection(clocks, 'hipaa_breach', 'individual_notice', new Date(), undefined)).toMatch(/no hipaa_breach individual_notice clock/);
  });
});
