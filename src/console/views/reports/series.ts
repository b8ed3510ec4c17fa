/**
 * The summary report (GET /v1/reports/summary, one period per call) turned into chart series and
 * the tables that stand in for the charts. The API answers for one period at a time, so the view
 * asks for the last N weeks, one call each, and charts them side by side. Pure: no DOM, no Chart.js.
 */

import type { Percentiles, RegulatoryCounts, SummaryReport as FullSummaryReport } from '../../../reports/summary';
import { SEVERITIES } from '../../../domain/severity';

export type { Percentiles, RegulatoryCounts };

/** Most severe first, as the domain orders them. */
export const SEVERITY_ORDER = SEVERITIES;
export const SEVERITY_LABEL: Record<string, string> = { critical: 'SEV1 critical', high: 'SEV2 high', medium: 'SEV3 medium', low: 'SEV4 low' };

/** The part of the summary report (src/reports/summary.ts, as the API sends it) the charts read. */
export type SummaryReport = Pick<FullSummaryReport, 'from' | 'to' | 'mtta' | 'mttc' | 'mttr' | 'regulatory'> & {
  opened: Pick<FullSummaryReport['opened'], 'total' | 'bySeverity'>;
  closed: FullSummaryReport['closed'];
  dismissed: FullSummaryReport['dismissed'];
  slaBreaches: FullSummaryReport['slaBreaches'];
};

export interface Period {
  from: string;
  to: string;
  /** The day the period starts, as the axis shows it: YYYY-MM-DD (UTC). */
  label: string;
}

const WEEK_MS = 7 * 86_400_000;

/** The last `weeks` weeks ending at `end`, oldest first, each [from, to) and back to back. */
export function weeklyPeriods(end: Date, weeks: number): Period[] {
  const periods: Period[] = [];
  for (let i = weeks; i >= 1; i--) {
    const from = new Date(end.getTime() - i * WEEK_MS);
    const to = new Date(end.getTime() - (i - 1) * WEEK_MS);
    periods.push({ from: from.toISOString(), to: to.toISOString(), label: from.toISOString().slice(0, 10) });
  }
  return periods;
}

/** The query string of one period's summary call. */
export function summaryQuery(period: Period): string {
  return `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`;
}

export interface TimeUnit {
  name: 'minutes' | 'hours' | 'days';
  seconds: number;
}

const UNITS: TimeUnit[] = [
  { name: 'minutes', seconds: 60 },
  { name: 'hours', seconds: 3_600 },
  { name: 'days', seconds: 86_400 },
];

/** The unit a chart's axis reads best in: minutes up to 2 h, hours up to 3 d, days beyond. */
export function unitFor(maxSeconds: number): TimeUnit {
  if (maxSeconds <= 2 * 3_600) return UNITS[0]!;
  if (maxSeconds <= 3 * 86_400) return UNITS[1]!;
  return UNITS[2]!;
}

/** A duration for a table cell: "42 s", "25 min", "3.5 h", "2.0 d", or "—" when there is none. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  if (seconds < 3_570) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_220) return `${(seconds / 3_600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export interface Dataset {
  /** Stable key (a severity, a phase, an outcome) the view picks a colour by. */
  key: string;
  label: string;
  data: Array<number | null>;
}

export interface Series {
  labels: string[];
  datasets: Dataset[];
  /** The y axis's unit, for time series. */
  unit?: TimeUnit;
}

/** A table fallback: column headers (the first names the row header column) and rows whose first cell is the row header. */
export interface DataTable {
  columns: string[];
  rows: string[][];
}

export type TimeMetric = 'mtta' | 'mttc' | 'mttr';

/** The severities any of the reports saw, in severity order (unknown ones after, sorted). */
function severitiesIn(reports: SummaryReport[], metric: TimeMetric): string[] {
  const seen = new Set<string>();
  for (const r of reports) for (const s of Object.keys(r[metric] ?? {})) seen.add(s);
  const known = SEVERITY_ORDER.filter((s) => seen.has(s));
  const other = [...seen].filter((s) => !(SEVERITY_ORDER as readonly string[]).includes(s)).sort();
  return [...known, ...other];
}

/**
 * One line per severity: the median time of incidents opened in each period, in the unit that fits
 * the largest median; a period with no such incident is a gap (null), not a zero.
 */
export function timeSeries(periods: Period[], reports: SummaryReport[], metric: TimeMetric): Series {
  const severities = severitiesIn(reports, metric);
  let max = 0;
  for (const r of reports) for (const p of Object.values(r[metric] ?? {})) if (p.median !== null && p.median > max) max = p.median;
  const unit = unitFor(max);
  const round = (value: number) => Math.round((value / unit.seconds) * 100) / 100;
  return {
    labels: periods.map((p) => p.label),
    unit,
    datasets: severities.map((severity) => ({
      key: severity,
      label: SEVERITY_LABEL[severity] ?? severity,
      data: reports.map((r) => {
        const p = r[metric]?.[severity];
        return p && p.count > 0 && p.median !== null ? round(p.median) : null;
      }),
    })),
  };
}

/** The table under a time chart: one row per period, a column per severity, "median / p90 (n)". */
export function timeTable(periods: Period[], reports: SummaryReport[], metric: TimeMetric): DataTable {
  const severities = severitiesIn(reports, metric);
  return {
    columns: ['Week from', ...severities.map((s) => `${SEVERITY_LABEL[s] ?? s}: median / p90 (incidents)`)],
    rows: periods.map((period, i) => [
      period.label,
      ...severities.map((s) => {
        const p = reports[i]?.[metric]?.[s];
        return p && p.count > 0 ? `${formatSeconds(p.median)} / ${formatSeconds(p.p90)} (${p.count})` : '—';
      }),
    ]),
  };
}

/** SLA breaches per period, one stacked bar segment per phase the breaches were in. */
export function breachSeries(periods: Period[], reports: SummaryReport[]): Series {
  const phases = [...new Set(reports.flatMap((r) => Object.keys(r.slaBreaches?.byPhase ?? {})))].sort();
  return {
    labels: periods.map((p) => p.label),
    datasets: phases.map((phase) => ({ key: phase, label: phase, data: reports.map((r) => r.slaBreaches?.byPhase?.[phase] ?? 0) })),
  };
}

export function breachTable(periods: Period[], reports: SummaryReport[]): DataTable {
  const series = breachSeries(periods, reports);
  return {
    columns: ['Week from', ...series.datasets.map((d) => `In ${d.label}`), 'Total'],
    rows: periods.map((period, i) => [period.label, ...series.datasets.map((d) => String(d.data[i] ?? 0)), String(reports[i]?.slaBreaches?.total ?? 0)]),
  };
}

export const REGULATORY_OUTCOMES = [
  { key: 'met', label: 'Met' },
  { key: 'late', label: 'Filed late' },
  { key: 'recordedLate', label: 'Recorded after the deadline' },
  { key: 'missed', label: 'Missed' },
  { key: 'due', label: 'Still due' },
] as const satisfies ReadonlyArray<{ key: keyof RegulatoryCounts; label: string }>;

/** The regulatory clocks of every period together, per regime: how many were met, late, missed, still due. */
export function regulatoryTotals(reports: SummaryReport[]): Record<string, RegulatoryCounts> {
  const totals: Record<string, RegulatoryCounts> = {};
  for (const r of reports) {
    for (const [regime, c] of Object.entries(r.regulatory ?? {})) {
      const t = (totals[regime] ??= { met: 0, late: 0, recordedLate: 0, missed: 0, due: 0 });
      for (const { key } of REGULATORY_OUTCOMES) t[key] += c[key] ?? 0;
    }
  }
  return totals;
}

/** One bar group per regime, a bar per outcome. */
export function regulatorySeries(reports: SummaryReport[]): Series {
  const totals = regulatoryTotals(reports);
  const regimes = Object.keys(totals).sort();
  return {
    labels: regimes,
    datasets: REGULATORY_OUTCOMES.map(({ key, label }) => ({ key, label, data: regimes.map((regime) => totals[regime]![key]) })),
  };
}

export function regulatoryTable(reports: SummaryReport[]): DataTable {
  const totals = regulatoryTotals(reports);
  return {
    columns: ['Regime', ...REGULATORY_OUTCOMES.map((o) => o.label)],
    rows: Object.keys(totals)
      .sort()
      .map((regime) => [regime, ...REGULATORY_OUTCOMES.map(({ key }) => String(totals[regime]![key]))]),
  };
}

/** Totals over every period, for the line above the charts. */
export function totals(reports: SummaryReport[]): { opened: number; closed: number; dismissed: number; breaches: number } {
  return reports.reduce(
    (acc, r) => ({
      opened: acc.opened + (r.opened?.total ?? 0),
      closed: acc.closed + (r.closed?.total ?? 0),
      dismissed: acc.dismissed + (r.dismissed?.total ?? 0),
      breaches: acc.breaches + (r.slaBreaches?.total ?? 0),
    }),
    { opened: 0, closed: 0, dismissed: 0, breaches: 0 },
  );
}
