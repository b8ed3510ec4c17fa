import { businessCalendar, CalendarGapError } from '../../src/domain/business-days';
import { clocksRejection, DEFAULT_REGIMES, dueText, materialityRegimes, fileClock, filingRejection, nextClockEvent, settleClocks, utcDeadline, type RegimeDefinition } from '../../src/domain/regulatory';
import { clocksFor, regulatoryDeadline, type DeadlineRule, type RegulatoryCalendar } from '../../src/domain/regulatory-deadlines';

const NY: RegulatoryCalendar = { timeZone: 'America/New_York', holidays: [], holidayCalendar: 'US' };
const UTC: RegulatoryCalendar = { timeZone: 'UTC', holidays: [] };
const EIGHT_K: DeadlineRule = { businessDays: 4, cutoff: '17:30' };
const maria = { keyId: 'k', name: 'maria', role: 'manager' as const };
const due = (start: string, rule: DeadlineRule, calendar: RegulatoryCalendar) => regulatoryDeadline(new Date(start), rule, calendar)?.toISOString();

describe('regulatory deadline arithmetic', () => {
  it.each<[string, string, DeadlineRule, RegulatoryCalendar, string]>([
    ['GDPR 72 hours, across the EU spring DST change', '2026-03-27T10:00:00Z', { hours: 72 }, { timeZone: 'Europe/Berlin', holidays: [] }, '2026-03-30T10:00:00.000Z'],
    ['NIS2 early warning, 24 hours', '2026-06-01T23:30:00Z', { hours: 24 }, UTC, '2026-06-02T23:30:00.000Z'],
    ['NIS2 final report, one month, clamped to February', '2026-01-31T12:00:00Z', { months: 1 }, UTC, '2026-02-28T12:00:00.000Z'],
    ['one month across the EU autumn DST change, same local time', '2026-10-15T09:00:00Z', { months: 1 }, { timeZone: 'Europe/Berlin', holidays: [] }, '2026-11-15T10:00:00.000Z'],
    ['SEC 8-K, four business days, skipping Thanksgiving and the weekend', '2026-11-25T20:00:00Z', EIGHT_K, NY, '2026-12-02T22:30:00.000Z'],
    ['SEC 8-K, across the US autumn DST change', '2026-10-30T14:00:00Z', EIGHT_K, NY, '2026-11-05T22:30:00.000Z'],
    ['SEC 8-K, decided on a Saturday, across the US spring DST change', '2026-03-07T15:00:00Z', EIGHT_K, NY, '2026-03-12T21:30:00.000Z'],
    ['SEC 8-K, decided late on a Friday evening local time (already Saturday in UTC)', '2026-07-11T02:00:00Z', EIGHT_K, NY, '2026-07-16T21:30:00.000Z'],
    ['SEC 8-K in 2031, past any hand-kept holiday list: Thanksgiving on 27 November is skipped', '2031-11-26T20:00:00Z', EIGHT_K, NY, '2031-12-03T22:30:00.000Z'],
    ['SEC 8-K over New Year 2028: Saturday 1 January is observed on Friday 31 December 2027', '2027-12-29T20:00:00Z', EIGHT_K, NY, '2028-01-05T22:30:00.000Z'],
    ['SEC 8-K with a further closure from the policy file (24 December 2026)', '2026-12-22T20:00:00Z', EIGHT_K, { ...NY, holidays: ['2026-12-24'] }, '2026-12-30T22:30:00.000Z'],
    ['HIPAA 60 calendar days, end of the day', '2026-01-10T08:00:00Z', { calendarDays: 60 }, UTC, '2026-03-11T23:59:59.999Z'],
    ['HIPAA 60 calendar days in New York, across the US spring DST change', '2026-02-01T12:00:00Z', { calendarDays: 60 }, { timeZone: 'America/New_York', holidays: [] }, '2026-04-03T03:59:59.999Z'],
    ['HIPAA annual log, 60 days after the end of the year of discovery', '2026-04-10T08:00:00Z', { daysAfterYearEnd: 60 }, UTC, '2027-03-01T23:59:59.999Z'],
    ['HIPAA annual log, into a leap year', '2027-12-31T08:00:00Z', { daysAfterYearEnd: 60 }, UTC, '2028-02-29T23:59:59.999Z'],
  ])('%s', (_label, start, rule, calendar, expected) => {
    expect(due(start, rule, calendar)).toBe(expected);
  });

  it('has no deadline for a stage due without undue delay', () => {
    expect(regulatoryDeadline(new Date('2026-05-01T08:00:00Z'), { withoutUndueDelay: true }, UTC)).toBeUndefined();
  });

  it('rejects an unknown time zone', () => {
    expect(() => regulatoryDeadline(new Date(), { calendarDays: 1 }, { timeZone: 'Mars/Olympus', holidays: [] })).toThrow(/unknown time zone/);
  });

  it('fails loudly for a business day the holiday calendar has no data for, instead of counting it as a business day', () => {
    expect(() => due('2020-12-28T20:00:00Z', EIGHT_K, NY)).toThrow(CalendarGapError);
    expect(() => due('2020-12-28T20:00:00Z', EIGHT_K, NY)).toThrow(/US holiday calendar has no data for 2020/);
    expect(() => due('2026-11-25T20:00:00Z', EIGHT_K, { ...NY, holidayCalendar: 'XX' })).toThrow(/no holiday calendar XX/);
    expect(() => businessCalendar('US').isBusinessDay('1999-07-05', 1)).toThrow(CalendarGapError);
  });

  it('knows US federal holidays by rule in any later year, with weekends off and ordinary weekdays on', () => {
    const us = businessCalendar('US');
    expect(us.isBusinessDay('2045-07-04', 2)).toBe(false); // Independence Day
    expect(us.isBusinessDay('2045-11-23', 4)).toBe(false); // Thanksgiving, 4th Thursday
    expect(us.isBusinessDay('2045-06-19', 1)).toBe(false); // Juneteenth
    expect(us.isBusinessDay('2045-11-24', 5)).toBe(true);
    expect(us.isBusinessDay('2045-11-25', 6)).toBe(false);
  });

  it('counts a deadline from a filing in the workflow exactly as the calendar does in UTC', () => {
    for (const [start, rule] of [
      ['2026-01-31T12:00:00Z', { months: 1 }],
      ['2026-03-15T23:59:00Z', { months: 1 }],
      ['2026-12-20T06:00:00Z', { months: 2 }],
      ['2026-01-10T08:00:00Z', { calendarDays: 60 }],
      ['2026-06-01T23:30:00Z', { hours: 24 }],
    ] as Array<[string, DeadlineRule]>) {
      expect(utcDeadline(new Date(start), rule)?.toISOString()).toBe(due(start, rule, UTC));
    }
  });
});

describe('which regimes a materiality determination starts', () => {
  it('is SEC 8-K Item 1.05 among the defaults, and none of those counted from awareness or discovery', () => {
    expect(materialityRegimes(DEFAULT_REGIMES).map(([id]) => id)).toEqual(['sec_8k_105']);
    expect(materialityRegimes({ custom: { ...DEFAULT_REGIMES.gdpr_art33!, startsFrom: 'materiality' } }).map(([id]) => id)).toEqual(['custom']);
  });
});

describe('regulatory clocks', () => {
  const awareness = new Date('2026-05-01T08:00:00Z');

  it('counts from awareness even when it precedes the incident, keeping only reminders after the start', () => {
    const [gdpr] = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, awareness, []);
    expect(gdpr).toMatchObject({ regime: 'gdpr_art33', stage: 'notification', startedAt: '2026-05-01T08:00:00.000Z', dueAt: '2026-05-04T08:00:00.000Z', lateNeedsReason: true });
    expect(gdpr!.remindAt).toEqual(['2026-05-03T08:00:00.000Z', '2026-05-04T04:00:00.000Z']);
  });

  it('starts the NIS2 final report one month from the notification filing, not from awareness', () => {
    const nis2 = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, awareness, []);
    expect(nis2.map((c) => [c.stage, c.dueAt])).toEqual([
      ['early_warning', '2026-05-02T08:00:00.000Z'],
      ['notification', '2026-05-04T08:00:00.000Z'],
      ['final_report', undefined],
    ]);
    expect(dueText(nis2[2]!)).toBe('once notification is filed');
    expect(filingRejection(nis2, 'nis2_art23', 'final_report', new Date('2026-05-03T08:00:00Z'), undefined)).toMatch(/starts when notification is filed/);

    const filedAt = '2026-05-03T17:00:00.000Z';
    const after = fileClock(nis2, 'nis2_art23', 'notification', { reference: 'CSIRT-2', filedAt, by: maria }, new Date(filedAt));
    expect(after[2]).toMatchObject({ stage: 'final_report', startsAfter: 'notification', startedAt: filedAt, dueAt: '2026-06-03T17:00:00.000Z', remindAt: ['2026-06-03T05:00:00.000Z', '2026-06-03T15:00:00.000Z'] });
    expect(after[2]!.waiting).toBeUndefined();
    expect(after[0]!.filing).toBeUndefined(); // the early warning is still open
  });

  it('refuses a NIS2 final report counted from a filing outside UTC, which a replay could count differently', () => {
    const berlin: RegimeDefinition = { ...DEFAULT_REGIMES.nis2_art23!, timeZone: 'Europe/Berlin' };
    expect(() => clocksFor('nis2_de', berlin, awareness, [])).toThrow(/must count in hours, or in calendar days or months in UTC/);
  });

  it('gives HIPAA three stages: individuals, HHS and media, when 500 or more are affected, in one state among them', () => {
    const discovery = new Date('2026-04-10T08:00:00Z');
    const clocks = clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, discovery, [], { total: 1_200, maxInOneState: 600 });
    expect(clocks.map((c) => [c.stage, c.dueAt])).toEqual([
      ['individual_notice', '2026-06-09T23:59:59.999Z'],
      ['hhs_notice', '2026-06-09T23:59:59.999Z'],
      ['media_notice', '2026-06-09T23:59:59.999Z'],
    ]);
    expect(clocks.every((c) => !c.when && !c.otherwise)).toBe(true);
  });

  it('puts a HIPAA breach of fewer than 500 in the annual log to HHS and needs no media notice', () => {
    const discovery = new Date('2026-04-10T08:00:00Z');
    const small = clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, discovery, [], { total: 120, maxInOneState: 120 });
    expect(small.map((c) => [c.stage, c.dueAt])).toEqual([
      ['individual_notice', '2026-06-09T23:59:59.999Z'],
      ['hhs_notice', '2027-03-01T23:59:59.999Z'],
    ]);
    expect(small[1]!.remindAt).toEqual(['2027-02-15T23:59:59.999Z', '2027-02-26T23:59:59.999Z']);
    // 500 or more in all, but no state with 500: HHS within 60 days, still no media notice.
    const spread = clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, discovery, [], { total: 900, maxInOneState: 300 });
    expect(spread.map((c) => [c.stage, c.dueAt])).toEqual([
      ['individual_notice', '2026-06-09T23:59:59.999Z'],
      ['hhs_notice', '2026-06-09T23:59:59.999Z'],
    ]);
  });

  it('settles HIPAA clocks counted before the counts were known, and refuses to start them without the counts', () => {
    const discovery = new Date('2026-04-10T08:00:00Z');
    const candidates = clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, discovery, []);
    expect(clocksRejection('hipaa_breach', candidates, undefined)).toMatch(/affected.total and affected.maxInOneState/);
    expect(nextClockEvent(candidates)?.index).toBe(0); // unsettled stages set no timer
    const affected = { total: 120, maxInOneState: 120 };
    expect(clocksRejection('hipaa_breach', candidates, affected)).toBeUndefined();
    expect(settleClocks(candidates, affected)).toEqual(clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, discovery, [], affected));
  });

  it('tracks GDPR Art. 34 communication to the data subjects without a fixed deadline: never missed, never late', () => {
    const [art34] = clocksFor('gdpr_art34', DEFAULT_REGIMES.gdpr_art34!, awareness, []);
    expect(art34).toMatchObject({ regime: 'gdpr_art34', stage: 'data_subjects', startedAt: awareness.toISOString(), withoutUndueDelay: true, remindAt: [], missed: false });
    expect(art34!.dueAt).toBeUndefined();
    expect(dueText(art34!)).toBe('without undue delay');
    expect(nextClockEvent([art34!])).toBeUndefined();
    const filed = fileClock([art34!], 'gdpr_art34', 'data_subjects', { reference: 'mailing-1', filedAt: '2026-06-01T08:00:00.000Z', by: maria }, new Date('2026-06-01T09:00:00Z'));
    expect(filed[0]!.filing).toMatchObject({ reference: 'mailing-1', late: false });
  });

  it('picks the next reminder or deadline across clocks, skipping filed ones', () => {
    const clocks = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, awareness, []);
    expect(nextClockEvent(clocks)).toEqual({ kind: 'reminder', index: 0, at: Date.parse('2026-05-01T20:00:00Z'), dueAt: '2026-05-02T08:00:00.000Z' });
    const filed = fileClock(clocks, 'nis2_art23', 'early_warning', { reference: 'CSIRT-1', filedAt: '2026-05-01T10:00:00.000Z', by: maria }, new Date('2026-05-01T10:00:00Z'));
    expect(nextClockEvent(filed)?.index).toBe(1);
    const allDue = clocks.map((c) => ({ ...c, remindersSent: c.remindAt.length }));
    expect(nextClockEvent(allDue)).toEqual({ kind: 'due', index: 0, at: Date.parse('2026-05-02T08:00:00Z'), dueAt: '2026-05-02T08:00:00.000Z' });
  });

  it('refuses a late GDPR filing without its reasons, and a second filing', () => {
    const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, awareness, []);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-03T08:00:00Z'), undefined)).toBeUndefined();
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-05T08:00:00Z'), undefined)).toMatch(/late filing must carry its reasons/);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-05T08:00:00Z'), 'forensics took longer')).toBeUndefined();
    expect(filingRejection(clocks, 'hipaa_breach', 'individual_notice', new Date(), undefined)).toMatch(/no hipaa_breach individual_notice clock/);
  });

  it('refuses a filedAt before the clock started or after now, naming filedAt', () => {
    const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, awareness, []);
    const now = new Date('2026-05-02T08:00:00Z');
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-01T07:59:59Z'), undefined, now)).toMatch(/^filedAt 2026-05-01T07:59:59.000Z is before the gdpr_art33 notification clock started \(2026-05-01T08:00:00.000Z\)/);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', new Date('2026-05-02T09:00:00Z'), undefined, now)).toMatch(/^filedAt 2026-05-02T09:00:00.000Z is in the future/);
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', awareness, undefined, now)).toBeUndefined();
    expect(filingRejection(clocks, 'gdpr_art33', 'notification', now, undefined, now)).toBeUndefined();
  });

  it('keeps both times of a filing recorded after its deadline with an earlier stated time, and flags it', () => {
    const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, awareness, []);
    const filedAt = '2026-05-03T08:00:00.000Z'; // a day before the deadline, by the filer's word
    const recordedAt = new Date('2026-05-06T08:00:00Z'); // two days after it
    const [backdated] = fileClock(clocks, 'gdpr_art33', 'notification', { reference: 'DPA-9', filedAt, by: maria }, recordedAt);
    expect(backdated!.filing).toEqual({ reference: 'DPA-9', filedAt, recordedAt: recordedAt.toISOString(), by: maria, late: false, recordedAfterDeadline: true });
    const [onTime] = fileClock(clocks, 'gdpr_art33', 'notification', { reference: 'DPA-9', filedAt, by: maria }, new Date('2026-05-03T09:00:00Z'));
    expect(onTime!.filing).toEqual({ reference: 'DPA-9', filedAt, recordedAt: '2026-05-03T09:00:00.000Z', by: maria, late: false });
    const [late] = fileClock(clocks, 'gdpr_art33', 'notification', { reference: 'DPA-9', filedAt: '2026-05-05T08:00:00.000Z', by: maria, lateReason: 'x' }, recordedAt);
    expect(late!.filing).toMatchObject({ late: true });
    expect(late!.filing!.recordedAfterDeadline).toBeUndefined();
  });
});
