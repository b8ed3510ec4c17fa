import { percentiles, summaryMarkdown, type SummaryReport } from '../../src/reports/summary';

const report = (mtta: SummaryReport['mtta']): SummaryReport => ({
  from: '2026-10-05T00:00:00.000Z',
  to: '2026-10-12T00:00:00.000Z',
  opened: { total: 1, bySeverity: { critical: 1 }, byCategory: {} },
  closed: { total: 0, bySeverity: {} },
  dismissed: { total: 0, bySeverity: {} },
  mtta,
  mttc: {},
  mttr: {},
  slaBreaches: { total: 0, byPhase: {}, byDeadline: {} },
  recordedLateFilings: [],
  regulatory: {},
  actionItems: [],
  followUps: { open: 0, overdue: 0, done: 0, skipped: 0 },
});

describe('the summary report’s figures', () => {
  it('are whole seconds, however the read model’s instants and the interpolation fall', () => {
    expect(percentiles(3, 1559.999821, 2279.5)).toEqual({ count: 3, median: 1560, p90: 2280 });
    expect(percentiles(1, 12.4, 12.4)).toEqual({ count: 1, median: 12, p90: 12 });
    expect(percentiles(0, null, null)).toEqual({ count: 0, median: null, p90: null });
  });

  it('read in the unit that fits in Markdown: seconds, minutes, hours with one decimal, days', () => {
    const line = (median: number, p90: number) => summaryMarkdown(report({ critical: { count: 2, median, p90 } })).split('\n').find((l) => l.startsWith('| critical'));
    expect(line(42.4, 59.4)).toContain('| 42 s / 59 s |');
    expect(line(59.6, 600)).toContain('| 1 min / 10 min |');
    expect(line(3_580, 9_000)).toContain('| 1.0 h / 2.5 h |');
    expect(line(86_300, 3 * 86_400)).toContain('| 1.0 d / 3.0 d |');
  });
});
