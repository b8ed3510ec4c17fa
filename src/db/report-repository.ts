import type { Pool } from 'pg';
import { FOLLOW_UP_PREFIX } from '../domain/follow-up';
import { percentiles, type RegulatoryCounts, type SummaryReport } from '../reports/summary';

const count = (rows: Array<{ key: string | null; n: number }>) => Object.fromEntries(rows.map((r) => [r.key ?? 'uncategorised', r.n]));

/** Computes the CISO's summary over the read model with SQL (counts, percentiles, JSON breakdowns). */
export class ReportRepository {
  constructor(private readonly pool: Pool) {}

  async summary(from: Date, to: Date): Promise<SummaryReport> {
    const q = async <T>(sql: string, extra: unknown[] = []): Promise<T[]> => (await this.pool.query(sql, [from, to, ...extra])).rows as T[];
    const inPeriod = 'opened_at >= $1 AND opened_at < $2';
    // Open at the period's end: created before it and not yet completed or skipped by then (a follow-up never reopens).
    const openAtEnd = 'created_at < $2 AND (completed_at IS NULL OR completed_at >= $2) AND (skipped_at IS NULL OR skipped_at >= $2)';
    const [openedBySeverity, openedByCategory, closedBySeverity, dismissedBySeverity, times, breaches, clocks, recordedLate, actionItems, followUps] = await Promise.all([
      q<{ key: string; n: number }>(`SELECT severity AS key, count(*)::int AS n FROM incidents WHERE ${inPeriod} GROUP BY 1`),
      q<{ key: string | null; n: number }>(`SELECT category AS key, count(*)::int AS n FROM incidents WHERE ${inPeriod} GROUP BY 1`),
      q<{ key: string; n: number }>(`SELECT severity AS key, count(*)::int AS n FROM incidents WHERE phase = 'closed' AND closed_at >= $1 AND closed_at < $2 GROUP BY 1`),
      q<{ key: string; n: number }>(
        `SELECT severity AS key, count(*)::int AS n FROM incidents
          WHERE phase = 'dismissed' AND (phase_entered_at->>'dismissed')::timestamptz >= $1 AND (phase_entered_at->>'dismissed')::timestamptz < $2 GROUP BY 1`,
      ),
      q<{ severity: string; metric: string; n: number; median: number | null; p90: number | null }>(
        `SELECT severity, metric, count(seconds)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90
           FROM (SELECT severity, 'mtta' AS metric, extract(epoch FROM acknowledged_at - opened_at) AS seconds FROM incidents WHERE ${inPeriod}
                 UNION ALL SELECT severity, 'mttc', extract(epoch FROM contained_at - opened_at) FROM incidents WHERE ${inPeriod}
                 UNION ALL SELECT severity, 'mttr', extract(epoch FROM resolved_at - opened_at) FROM incidents WHERE ${inPeriod}) t
          GROUP BY severity, metric`,
      ),
      q<{ phase: string; deadline: string; n: number }>(
        `SELECT b->>'phase' AS phase, b->>'deadline' AS deadline, count(*)::int AS n
           FROM incidents, jsonb_array_elements(sla_breaches) b WHERE ${inPeriod} GROUP BY 1, 2`,
      ),
      q<{ regime: string; status: string; n: number }>(
        `SELECT c->>'regime' AS regime,
                CASE WHEN c->'filing' IS NOT NULL AND (c->'filing'->>'late')::boolean THEN 'late'
                     WHEN c->'filing' IS NOT NULL AND coalesce((c->'filing'->>'recordedAfterDeadline')::boolean, false) THEN 'recordedLate'
                     WHEN c->'filing' IS NOT NULL THEN 'met'
                     WHEN (c->>'missed')::boolean THEN 'missed'
                     ELSE 'due' END AS status,
                count(*)::int AS n
           FROM incidents, jsonb_array_elements(coalesce(state->'regulatoryClocks', '[]'::jsonb)) c WHERE ${inPeriod} GROUP BY 1, 2`,
      ),
      q<{ incident_id: string; regime: string; stage: string; due_at: string; filed_at: string; recorded_at: string }>(
        `SELECT incident_id, c->>'regime' AS regime, c->>'stage' AS stage, c->>'dueAt' AS due_at, c->'filing'->>'filedAt' AS filed_at, c->'filing'->>'recordedAt' AS recorded_at
           FROM incidents, jsonb_array_elements(coalesce(state->'regulatoryClocks', '[]'::jsonb)) c
          WHERE ${inPeriod} AND coalesce((c->'filing'->>'recordedAfterDeadline')::boolean, false) ORDER BY incident_id, 2, 3`,
      ),
      q<{ incident_id: string; title: string; owner: string; due_at: string }>(
        `SELECT incident_id, a->>'title' AS title, a->>'owner' AS owner, a->>'dueAt' AS due_at
           FROM incidents, jsonb_array_elements(coalesce(state->'review'->'actionItems', '[]'::jsonb)) a
          WHERE ${inPeriod} ORDER BY a->>'dueAt', incident_id`,
      ),
      q<{ open: number; overdue: number; done: number; skipped: number }>(
        `SELECT count(*) FILTER (WHERE ${openAtEnd})::int AS open,
                count(*) FILTER (WHERE ${openAtEnd} AND due_at < $2)::int AS overdue,
                count(*) FILTER (WHERE status = 'done' AND completed_at >= $1 AND completed_at < $2)::int AS done,
                count(*) FILTER (WHERE status = 'skipped' AND skipped_at >= $1 AND skipped_at < $2)::int AS skipped
           FROM incident_tasks WHERE starts_with(task_id, $3)`,
        [FOLLOW_UP_PREFIX],
      ),
    ]);
    const metric = (name: string) =>
      Object.fromEntries(times.filter((t) => t.metric === name).map((t) => [t.severity, percentiles(t.n, t.median === null ? null : Number(t.median), t.p90 === null ? null : Number(t.p90))]));
    const regulatory: SummaryReport['regulatory'] = {};
    for (const c of clocks) {
      regulatory[c.regime] ??= { met: 0, late: 0, recordedLate: 0, missed: 0, due: 0 };
      regulatory[c.regime]![c.status as keyof RegulatoryCounts] += c.n;
    }
    const sum = (rows: Array<{ n: number }>) => rows.reduce((a, r) => a + r.n, 0);
    const byKey = (rows: Array<{ n: number }>, key: (r: any) => string) =>
      rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [key(r)]: (acc[key(r)] ?? 0) + r.n }), {});
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      opened: { total: sum(openedBySeverity), bySeverity: count(openedBySeverity), byCategory: count(openedByCategory) },
      closed: { total: sum(closedBySeverity), bySeverity: count(closedBySeverity) },
      dismissed: { total: sum(dismissedBySeverity), bySeverity: count(dismissedBySeverity) },
      mtta: metric('mtta'),
      mttc: metric('mttc'),
      mttr: metric('mttr'),
      slaBreaches: { total: sum(breaches), byPhase: byKey(breaches, (r) => r.phase), byDeadline: byKey(breaches, (r) => r.deadline) },
      regulatory,
      recordedLateFilings: recordedLate.map((f) => ({ incidentId: f.incident_id, regime: f.regime, stage: f.stage, dueAt: f.due_at, filedAt: f.filed_at, recordedAt: f.recorded_at })),
      actionItems: actionItems.map((a) => ({ incidentId: a.incident_id, title: a.title, owner: a.owner, dueAt: a.due_at })),
      followUps: followUps[0] ?? { open: 0, overdue: 0, done: 0, skipped: 0 },
    };
  }
}
