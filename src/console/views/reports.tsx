import type { ChartConfiguration } from 'chart.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Problem, type Session } from '../api';
import { ChartCanvas } from '../components/chart-canvas';
import { DataTableDetails } from '../components/data-table';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { replaceQuery, useLocation } from '../router';
import {
  breachSeries,
  breachTable,
  regulatorySeries,
  regulatoryTable,
  summaryQuery,
  timeSeries,
  timeTable,
  totals,
  weeklyPeriods,
  type Period,
  type Series,
  type SummaryReport,
  type TimeMetric,
} from './reports/series';

const WEEK_CHOICES = [4, 8, 12, 26] as const;
const DEFAULT_WEEKS = 8;

/** Colours with at least 3:1 contrast on white, one per severity, phase or outcome. */
const PALETTE = ['#a4161a', '#b45309', '#0b5cad', '#4b5563', '#1e6b35', '#6d28d9', '#0e7490', '#9d174d'];
const FIXED: Record<string, string> = {
  critical: '#a4161a',
  high: '#b45309',
  medium: '#0b5cad',
  low: '#4b5563',
  met: '#1e6b35',
  late: '#b45309',
  recordedLate: '#6d28d9',
  missed: '#a4161a',
  due: '#4b5563',
};
const colour = (key: string, i: number) => FIXED[key] ?? PALETTE[i % PALETTE.length]!;

function lineConfig(series: Series): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels: series.labels,
      datasets: series.datasets.map((d, i) => ({ label: d.label, data: d.data, borderColor: colour(d.key, i), backgroundColor: colour(d.key, i), spanGaps: false })),
    },
    options: {
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: { title: { display: true, text: 'Week from' } },
        y: { beginAtZero: true, title: { display: true, text: `median, ${series.unit?.name ?? ''}` } },
      },
    },
  };
}

function barConfig(series: Series, axis: { x: string; y: string }, stacked: boolean): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: series.labels,
      datasets: series.datasets.map((d, i) => ({ label: d.label, data: d.data, backgroundColor: colour(d.key, i) })),
    },
    options: {
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: { stacked, title: { display: true, text: axis.x } },
        y: { stacked, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: axis.y } },
      },
    },
  };
}

const METRICS: Array<{ metric: TimeMetric; name: string; title: string; what: string }> = [
  { metric: 'mtta', name: 'MTTA', title: 'Time to acknowledge', what: 'from opening to the first acknowledgement' },
  { metric: 'mttc', name: 'MTTC', title: 'Time to contain', what: 'from opening to containment done' },
  { metric: 'mttr', name: 'MTTR', title: 'Time to resolve', what: 'from opening to resolution' },
];

function Charts(props: { periods: Period[]; reports: SummaryReport[] }) {
  const { periods, reports } = props;
  const charts = useMemo(() => {
    const times = METRICS.map((m) => {
      const series = timeSeries(periods, reports, m.metric);
      return { ...m, series, config: lineConfig(series), table: timeTable(periods, reports, m.metric) };
    });
    const breaches = breachSeries(periods, reports);
    const regulatory = regulatorySeries(reports);
    return {
      times,
      breaches: { series: breaches, config: barConfig(breaches, { x: 'Week from', y: 'Breaches' }, true), table: breachTable(periods, reports) },
      regulatory: { series: regulatory, config: barConfig(regulatory, { x: 'Regime', y: 'Deadlines' }, false), table: regulatoryTable(reports) },
    };
  }, [periods, reports]);
  const sum = totals(reports);
  return (
    <>
      <p>
        Incidents opened in these weeks: <strong>{sum.opened}</strong>; closed <strong>{sum.closed}</strong>, dismissed{' '}
        <strong>{sum.dismissed}</strong>; SLA breaches <strong>{sum.breaches}</strong>.
      </p>
      <div class="report-charts">
        {charts.times.map((c) => (
          <section class="report-chart" key={c.metric} aria-labelledby={`chart-${c.metric}`}>
            <h2 id={`chart-${c.metric}`}>{c.name} by severity</h2>
            <p class="chart-note">{c.title} {c.what}: the median of the incidents opened each week, in {c.series.unit?.name}. A gap is a week without such an incident.</p>
            <ChartCanvas label={`${c.name} by severity`} config={c.config} />
            <DataTableDetails caption={`${c.name} by severity, per week`} columns={c.table.columns} rows={c.table.rows} />
          </section>
        ))}
        <section class="report-chart" aria-labelledby="chart-breaches">
          <h2 id="chart-breaches">SLA breaches</h2>
          <p class="chart-note">Missed deadlines of the incidents opened each week, by the phase they were missed in.</p>
          <ChartCanvas label="SLA breaches" config={charts.breaches.config} />
          <DataTableDetails caption="SLA breaches per week" columns={charts.breaches.table.columns} rows={charts.breaches.table.rows} />
        </section>
        <section class="report-chart" aria-labelledby="chart-regulatory">
          <h2 id="chart-regulatory">Regulatory deadlines</h2>
          <p class="chart-note">Filing deadlines of the incidents opened in these weeks, per regime: met, filed late, missed, still due.</p>
          <ChartCanvas label="Regulatory deadlines" config={charts.regulatory.config} />
          <DataTableDetails
            caption="Regulatory deadlines per regime"
            columns={charts.regulatory.table.columns}
            rows={charts.regulatory.table.rows}
            empty="No regulatory deadline fell to the incidents of these weeks."
          />
        </section>
      </div>
    </>
  );
}

function weeksFrom(query: URLSearchParams): number {
  const weeks = Number(query.get('weeks'));
  return (WEEK_CHOICES as readonly number[]).includes(weeks) ? weeks : DEFAULT_WEEKS;
}

/**
 * The CISO's summary report: MTTA, MTTC and MTTR by severity, SLA breaches and regulatory
 * deadlines over the last weeks. The API reports one period per call, so this asks for each of the
 * last N weeks (8 unless chosen) and charts them side by side.
 */
export function ReportsView(props: { session: Session }) {
  void props;
  const { query } = useLocation();
  const weeks = weeksFrom(query);
  const [choice, setChoice] = useState(String(weeks));
  const [generation, setGeneration] = useState(0);
  const periods = useMemo(() => weeklyPeriods(new Date(), weeks), [weeks, generation]);
  const [reports, setReports] = useState<SummaryReport[] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let current = true;
    setLoading(true);
    void Promise.all(periods.map((p) => api.get<SummaryReport>(`/v1/reports/summary?${summaryQuery(p)}`))).then((results) => {
      if (!current) return;
      setLoading(false);
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) {
        setProblem(failed.problem);
        return;
      }
      setProblem(undefined);
      setReports(results.map((r) => (r.ok ? r.body : undefined)).filter((r): r is SummaryReport => r !== undefined));
    });
    return () => {
      current = false;
    };
  }, [periods]);

  const first = periods[0];
  const last = periods[periods.length - 1];
  return (
    <section class="reports">
      <h1>Summary report</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const next = new URLSearchParams(location.search);
          next.set('weeks', choice);
          replaceQuery(next);
          setGeneration((n) => n + 1);
        }}
      >
        <div>
          <label for="report-weeks">Weeks</label>
          <select id="report-weeks" value={choice} onChange={(event) => setChoice((event.target as HTMLSelectElement).value)}>
            {WEEK_CHOICES.map((n) => (
              <option key={n} value={String(n)}>{`Last ${n} weeks`}</option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <ProblemMessage problem={problem} />
      {first && last ? (
        <p class="chart-note">
          {weeks} weeks from {formatTime(first.from)} to {formatTime(last.to)}, one summary per week; each figure counts the incidents opened in its week.
        </p>
      ) : null}
      <p role="status" class="loading-note">{loading ? 'Loading the report…' : ''}</p>
      {reports && reports.length === periods.length ? <Charts periods={periods} reports={reports} /> : null}
    </section>
  );
}
