import {
  breachSeries,
  breachTable,
  formatSeconds,
  regulatorySeries,
  regulatoryTable,
  summaryQuery,
  timeSeries,
  timeTable,
  totals,
  unitFor,
  weeklyPeriods,
  type SummaryReport,
} from '../../src/console/views/reports/series';

const empty = (from: string, to: string): SummaryReport => ({
  from,
  to,
  opened: { total: 0, bySeverity: {} },
  closed: { total: 0, bySeverity: {} },
  dismissed: { total: 0, bySeverity: {} },
  mtta: {},
  mttc: {},
  mttr: {},
  slaBreaches: { total: 0, byPhase: {}, byDeadline: {} },
  regulatory: {},
});

const end = new Date('2026-12-03T12:00:00.000Z');
const periods = weeklyPeriods(end, 3);
const [w1, w2, w3] = periods.map((p) => empty(p.from, p.to)) as [SummaryReport, SummaryReport, SummaryReport];
w1.mtta = { critical: { count: 2, median: 600, p90: 900 }, low: { count: 1, median: 3_000, p90: 3_000 } };
w3.mtta = { critical: { count: 1, median: 1_200, p90: 1_200 } };
w1.slaBreaches = { total: 3, byPhase: { detected: 2, triage: 1 }, byDeadline: { acknowledge: 2, assessment: 1 } };
w2.slaBreaches = { total: 1, byPhase: { review: 1 }, byDeadline: { review: 1 } };
w1.regulatory = { gdpr: { met: 1, late: 0, recordedLate: 0, missed: 1, due: 0 } };
w3.regulatory = { gdpr: { met: 2, late: 1, recordedLate: 0, missed: 0, due: 1 }, nis2: { met: 0, late: 0, recordedLate: 1, missed: 0, due: 0 } };
w1.opened.total = 3;
w3.opened.total = 1;
w3.closed.total = 2;
const reports = [w1, w2, w3];

describe('the summary report over the last weeks', () => {
  it('asks for back-to-back weeks ending now, oldest first, each labelled by the day it starts', () => {
    expect(periods.map((p) => [p.from, p.to])).toEqual([
      ['2026-11-12T12:00:00.000Z', '2026-11-19T12:00:00.000Z'],
      ['2026-11-19T12:00:00.000Z', '2026-11-26T12:00:00.000Z'],
      ['2026-11-26T12:00:00.000Z', '2026-12-03T12:00:00.000Z'],
    ]);
    expect(periods.map((p) => p.label)).toEqual(['2026-11-12', '2026-11-19', '2026-11-26']);
    expect(summaryQuery(periods[0]!)).toBe('from=2026-11-12T12%3A00%3A00.000Z&to=2026-11-19T12%3A00%3A00.000Z');
    expect(weeklyPeriods(end, 8)).toHaveLength(8);
  });

  it('draws one MTTA line per severity seen, in severity order, with a gap (not a zero) for a week without incidents', () => {
    const series = timeSeries(periods, reports, 'mtta');
    expect(series.labels).toEqual(['2026-11-12', '2026-11-19', '2026-11-26']);
    expect(series.unit?.name).toBe('minutes');
    expect(series.datasets.map((d) => [d.key, d.label])).toEqual([
      ['critical', 'SEV1 critical'],
      ['low', 'SEV4 low'],
    ]);
    expect(series.datasets[0]!.data).toEqual([10, null, 20]);
    expect(series.datasets[1]!.data).toEqual([50, null, null]);
  });

  it('reads a time axis in the unit that fits its largest median', () => {
    expect(unitFor(90 * 60).name).toBe('minutes');
    expect(unitFor(5 * 3_600).name).toBe('hours');
    expect(unitFor(4 * 86_400).name).toBe('days');
    const slow = periods.map((p) => empty(p.from, p.to));
    slow[1]!.mttr = { high: { count: 1, median: 36 * 3_600, p90: 36 * 3_600 } };
    const series = timeSeries(periods, slow, 'mttr');
    expect(series.unit?.name).toBe('hours');
    expect(series.datasets[0]!.data).toEqual([null, 36, null]);
  });

  it('gives a time chart a table of median / p90 and the count per week', () => {
    const table = timeTable(periods, reports, 'mtta');
    expect(table.columns).toEqual(['Week from', 'SEV1 critical: median / p90 (incidents)', 'SEV4 low: median / p90 (incidents)']);
    expect(table.rows).toEqual([
      ['2026-11-12', '10 min / 15 min (2)', '50 min / 50 min (1)'],
      ['2026-11-19', '—', '—'],
      ['2026-11-26', '20 min / 20 min (1)', '—'],
    ]);
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(5_400)).toBe('1.5 h');
    expect(formatSeconds(null)).toBe('—');
  });

  it('stacks SLA breaches by the phase they were missed in, zero where a week had none', () => {
    const series = breachSeries(periods, reports);
    expect(series.datasets.map((d) => [d.label, d.data])).toEqual([
      ['detected', [2, 0, 0]],
      ['review', [0, 1, 0]],
      ['triage', [1, 0, 0]],
    ]);
    expect(breachTable(periods, reports).rows).toEqual([
      ['2026-11-12', '2', '0', '1', '3'],
      ['2026-11-19', '0', '1', '0', '1'],
      ['2026-11-26', '0', '0', '0', '0'],
    ]);
  });

  it('adds up regulatory deadlines per regime over the weeks: met, late, missed, still due', () => {
    const series = regulatorySeries(reports);
    expect(series.labels).toEqual(['gdpr', 'nis2']);
    const byOutcome = Object.fromEntries(series.datasets.map((d) => [d.key, d.data]));
    expect(byOutcome).toEqual({ met: [3, 0], late: [1, 0], recordedLate: [0, 1], missed: [1, 0], due: [1, 0] });
    expect(regulatoryTable(reports)).toEqual({
      columns: ['Regime', 'Met', 'Filed late', 'Recorded after the deadline', 'Missed', 'Still due'],
      rows: [
        ['gdpr', '3', '1', '0', '1', '1'],
        ['nis2', '0', '0', '1', '0', '0'],
      ],
    });
    expect(regulatoryTable([w2]).rows).toEqual([]);
  });

  it('totals the weeks for the line above the charts', () => {
    expect(totals(reports)).toEqual({ opened: 4, closed: 2, dismissed: 0, breaches: 4 });
  });
});
