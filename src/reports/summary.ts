/** The CISO's summary of a period, computed from the read model (whose timestamps come from workflow history). */
export interface Percentiles {
  count: number;
  /** Seconds. */
  median: number | null;
  /** Seconds. */
  p90: number | null;
}

/** Filing clocks by outcome; `recordedLate` was recorded after its deadline with an earlier stated filing time. */
export interface RegulatoryCounts {
  met: number;
  late: number;
  recordedLate: number;
  missed: number;
  due: number;
}

export interface SummaryReport {
  from: string;
  to: string;
  opened: { total: number; bySeverity: Record<string, number>; byCategory: Record<string, number> };
  closed: { total: number; bySeverity: Record<string, number> };
  dismissed: { total: number; bySeverity: Record<string, number> };
  /** Time to acknowledge, contain and resolve, from opening, for incidents opened in the period. */
  mtta: Record<string, Percentiles>;
  mttc: Record<string, Percentiles>;
  mttr: Record<string, Percentiles>;
  slaBreaches: { total: number; byPhase: Record<string, number>; byDeadline: Record<string, number> };
  regulatory: Record<string, RegulatoryCounts>;
  /** Filings recorded after their deadline but stated as made before it: both times, for someone to check. */
  recordedLateFilings: Array<{ incidentId: string; regime: string; stage: string; dueAt: string; filedAt: string; recordedAt: string }>;
  /** The action items named by the reviews of incidents opened in the period, as they were named. */
  actionItems: Array<{ incidentId: string; title: string; owner: string; dueAt: string }>;
  followUps: FollowUpCounts;
}

/**
 * Review action items tracked after their incident closed (follow-ups), counted as a CISO reads a
 * backlog: what is open and overdue at the end of the period, from any incident however long ago
 * it closed (an item left open for months is the one to see), and what was completed or skipped
 * during the period. Counted as of the period's end, not the moment the report is made, so a past
 * period's figures do not move as its items are settled later, and the weekly report (which ends
 * now) shows today's backlog. Overdue: open at the end of the period and due before it.
 */
export interface FollowUpCounts {
  open: number;
  overdue: number;
  done: number;
  skipped: number;
}

/**
 * Percentiles in whole seconds. The read model's instants carry microseconds and the median and
 * p90 interpolate between incidents, so the raw figures read like `1559.999821`: more digits than
 * any reader of the report can use.
 */
export function percentiles(count: number, median: number | null, p90: number | null): Percentiles {
  const whole = (seconds: number | null) => (seconds === null ? null : Math.round(seconds));
  return { count, median: whole(median), p90: whole(p90) };
}

const duration = (seconds: number | null) => {
  if (seconds === null) return '—';
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  if (seconds < 3_570) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_220) return `${(seconds / 3_600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
};

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];

/** The same report as Markdown, for e-mail, chat or a wiki. */
export function summaryMarkdown(r: SummaryReport): string {
  const lines = [
    `# Security incidents ${r.from.slice(0, 10)} – ${r.to.slice(0, 10)}`,
    '',
    `Opened **${r.opened.total}**, closed **${r.closed.total}**, dismissed **${r.dismissed.total}**; SLA breaches **${r.slaBreaches.total}**.`,
    '',
    '| severity | opened | closed | dismissed | MTTA median / p90 | MTTC median / p90 | MTTR median / p90 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...SEVERITY_ORDER.map((s) => {
      const p = (m: Record<string, Percentiles>) => `${duration(m[s]?.median ?? null)} / ${duration(m[s]?.p90 ?? null)}`;
      return `| ${s} | ${r.opened.bySeverity[s] ?? 0} | ${r.closed.bySeverity[s] ?? 0} | ${r.dismissed.bySeverity[s] ?? 0} | ${p(r.mtta)} | ${p(r.mttc)} | ${p(r.mttr)} |`;
    }),
    '',
    '## SLA breaches by phase',
    '',
    ...(Object.keys(r.slaBreaches.byPhase).length ? Object.entries(r.slaBreaches.byPhase).map(([phase, n]) => `- ${phase}: ${n}`) : ['- none']),
    '',
    '## Regulatory deadlines',
    '',
    ...(Object.keys(r.regulatory).length
      ? Object.entries(r.regulatory).map(
          ([regime, c]) =>
            `- ${regime}: ${c.met} met, ${c.late} filed late, ${c.missed} missed and unfiled, ${c.due} still due` +
            (c.recordedLate ? `, ${c.recordedLate} recorded after the deadline with an earlier stated time` : ''),
        )
      : ['- none']),
    ...r.recordedLateFilings.map((f) => `  - check: ${f.regime} ${f.stage} of incident ${f.incidentId}, due ${f.dueAt}, stated as filed ${f.filedAt}, recorded ${f.recordedAt}`),
    '',
    '## Follow-ups',
    '',
    `Open at the end of the period **${r.followUps.open}**, of which overdue **${r.followUps.overdue}**; completed in the period **${r.followUps.done}**, skipped **${r.followUps.skipped}**.`,
    '',
    '## Action items from reviews',
    '',
    ...(r.actionItems.length ? r.actionItems.map((a) => `- ${a.title} — ${a.owner}, due ${a.dueAt.slice(0, 10)} (incident ${a.incidentId})`) : ['- none']),
    '',
  ];
  return lines.join('\n');
}
