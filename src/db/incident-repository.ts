import type { Pool, PoolClient } from 'pg';
import type { AuditEntryInput, ChainHead } from '../domain/audit-chain';
import type { IncidentState, Phase } from '../domain/incident';
import { AuditLog } from './audit-log';
import type { DeadlineKind } from '../domain/policy';
import { OPEN_PHASES } from '../domain/phase';
import type { Severity } from '../domain/severity';
import { ObservableRegister } from './observable-register';
import type { IncidentTask } from '../domain/task';
import { TaskRegister } from './task-register';
import { inTransaction } from './transaction';

export interface IncidentRow {
  incidentId: string;
  title: string;
  source: string;
  severity: string;
  phase: string;
  escalationLevel: number;
  alertCount: number;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  stateVersion: number;
  commander: string | null;
  strategy: string | null;
  containedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  state: IncidentState;
}

/** The read model of incidents: written by activities, read by the API's lists. */
export class IncidentRepository {
  private readonly observables: ObservableRegister;
  private readonly tasks: TaskRegister;

  constructor(private readonly pool: Pool) {
    this.observables = new ObservableRegister(pool);
    this.tasks = new TaskRegister(pool);
  }

  /**
   * Idempotent: replaying a snapshot, or an older one arriving late, changes nothing. Observables
   * people added reach the observables table from here (intake writes the alerts' own), and the
   * tasks reach theirs in the same transaction, so the to-do list never disagrees with the incident.
   */
  async upsert(state: IncidentState): Promise<void> {
    await inTransaction(this.pool, (client) => this.upsertWithin(client, state));
  }

  /**
   * What a publish writes: the audit entries since the last one, then the snapshot they led to, in
   * one transaction. One commit, so one wait for the disk where there were two, and the read model
   * never shows a state whose entries the chain does not hold yet. Answers the chain's head.
   */
  async record(state: IncidentState, audit: readonly AuditEntryInput[]): Promise<ChainHead> {
    return inTransaction(this.pool, async (client) => {
      const head = await AuditLog.appendWithin(client, state.incidentId, audit);
      await this.upsertWithin(client, state);
      return head;
    });
  }

  private async upsertWithin(client: PoolClient, state: IncidentState): Promise<void> {
    await this.observables.recordAdded(client, state.incidentId, (state.observables ?? []).filter((o) => o.addedBy !== undefined));
    await this.upsertRow(client, state);
    await this.tasks.record(client, state.incidentId, state.version, state.tasks ?? []);
  }

  /** Task rows written apart from the incident's row: a closed incident's follow-ups. */
  async recordTasks(incidentId: string, version: number, tasks: readonly IncidentTask[]): Promise<void> {
    await this.tasks.record(this.pool, incidentId, version, tasks);
  }

  private async upsertRow(client: PoolClient, state: IncidentState): Promise<void> {
    await client.query(
      `INSERT INTO incidents (incident_id, dedup_key, title, source, severity, phase, escalation_level,
                              alert_count, opened_at, acknowledged_at, acknowledged_by, phase_entered_at,
                              sla_breaches, next_deadline, state, state_version, commander, category, strategy,
                              assessed_at, contained_at, resolved_at, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
       ON CONFLICT (incident_id) DO UPDATE SET
         title = EXCLUDED.title, severity = EXCLUDED.severity, phase = EXCLUDED.phase,
         escalation_level = EXCLUDED.escalation_level, alert_count = EXCLUDED.alert_count,
         acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by,
         phase_entered_at = EXCLUDED.phase_entered_at, sla_breaches = EXCLUDED.sla_breaches,
         next_deadline = EXCLUDED.next_deadline, state = EXCLUDED.state,
         state_version = EXCLUDED.state_version, commander = EXCLUDED.commander, category = EXCLUDED.category,
         strategy = EXCLUDED.strategy, assessed_at = EXCLUDED.assessed_at, contained_at = EXCLUDED.contained_at,
         resolved_at = EXCLUDED.resolved_at, closed_at = EXCLUDED.closed_at, updated_at = now()
       WHERE incidents.state_version < EXCLUDED.state_version`,
      [
        state.incidentId,
        state.dedupKey,
        state.title,
        state.source,
        state.severity,
        state.phase,
        state.escalationLevel,
        state.alertCount,
        state.openedAt,
        state.acknowledgedAt ?? null,
        state.acknowledgedBy?.name ?? null,
        JSON.stringify(state.phaseEnteredAt),
        JSON.stringify(state.slaBreaches),
        state.nextDeadline ? JSON.stringify(state.nextDeadline) : null,
        JSON.stringify(state),
        state.version,
        state.roles.commander?.person ?? null,
        state.category ?? null,
        state.assessment?.strategy ?? null,
        state.assessment?.at ?? null,
        state.containedAt ?? null,
        state.resolvedAt ?? null,
        state.closedAt ?? null,
      ],
    );
  }

  /** Whether an incident of this id was ever opened: its read-model row or any of its alerts. */
  async exists(incidentId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM incidents WHERE incident_id = $1 UNION ALL SELECT 1 FROM alerts WHERE incident_id = $1 LIMIT 1',
      [incidentId],
    );
    return (rowCount ?? 0) > 0;
  }

  async find(incidentId: string): Promise<IncidentRow | undefined> {
    const { rows } = await this.pool.query(
      `SELECT incident_id, title, source, severity, phase, escalation_level, alert_count, opened_at,
              acknowledged_at, acknowledged_by, state_version, commander, strategy, contained_at, resolved_at,
              closed_at, state
         FROM incidents WHERE incident_id = $1`,
      [incidentId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      incidentId: row.incident_id,
      title: row.title,
      source: row.source,
      severity: row.severity,
      phase: row.phase,
      escalationLevel: row.escalation_level,
      alertCount: row.alert_count,
      openedAt: row.opened_at.toISOString(),
      acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
      acknowledgedBy: row.acknowledged_by,
      stateVersion: row.state_version,
      commander: row.commander,
      strategy: row.strategy,
      containedAt: row.contained_at?.toISOString() ?? null,
      resolvedAt: row.resolved_at?.toISOString() ?? null,
      closedAt: row.closed_at?.toISOString() ?? null,
      state: row.state,
    };
  }

  /**
   * A page of incidents after the cursor's position: newest first (`order: 'opened'`), or the queue's
   * order (`order: 'deadline'`, src/domain/queue-order.ts): overdue at `asOf` first, then the soonest
   * escalation, none last, by incident id. Overdue and the escalation instant are computed here
   * from the stored state at `asOf` (every page of one listing uses the first page's instant, so an
   * incident falling overdue between two pages does not jump back over the cursor).
   */
  async list(filter: IncidentFilter): Promise<{ items: IncidentSummary[]; next?: PagePosition | DeadlinePosition }> {
    const deadline = filter.order === 'deadline';
    const asOf = filter.asOf ?? new Date().toISOString();
    const params: unknown[] = [
      filter.status ?? null,
      filter.severity ?? null,
      filter.source ?? null,
      filter.commander ?? null,
      filter.openedAfter ?? null,
      filter.open ?? false,
      filter.overdue ?? false,
      asOf,
      filter.limit + 1,
    ];
    let after = 'TRUE';
    if (deadline && filter.afterDeadline) {
      const a = filter.afterDeadline;
      params.push(a.overdue ? 0 : 1, a.escalatesAt ?? 'infinity', a.incidentId);
      after = `(q.overdue_rank, ${ESCALATES_KEY}, q.incident_id) > ($10::int, $11::timestamptz, $12::text)`;
    } else if (!deadline && filter.after) {
      params.push(filter.after.openedAt, filter.after.incidentId);
      after = '(q.opened_at, q.incident_id) < ($10::timestamptz, $11::text)';
    }
    const orderBy = deadline ? `q.overdue_rank, ${ESCALATES_KEY}, q.incident_id` : 'q.opened_at DESC, q.incident_id DESC';
    const { rows } = await this.pool.query(
      `SELECT q.* FROM (
         SELECT incident_id, title, source, severity, phase, escalation_level, commander, alert_count,
                opened_at, acknowledged_at, contained_at, resolved_at, closed_at, next_deadline, state_version,
                ${filter.includeState ? 'state' : 'NULL::jsonb AS state'},
                CASE WHEN ${OVERDUE_SQL} THEN 0 ELSE 1 END AS overdue_rank,
                ${ESCALATES_AT_SQL} AS escalates_at
           FROM incidents
          WHERE ($1::text IS NULL OR phase = $1)
            AND ($2::text IS NULL OR severity = $2)
            AND ($3::text IS NULL OR source = $3)
            AND ($4::text IS NULL OR commander = $4)
            AND ($5::timestamptz IS NULL OR opened_at > $5)
            AND (NOT $6::boolean OR phase IN (${OPEN_PHASES_SQL}))
       ) q
       WHERE (NOT $7::boolean OR q.overdue_rank = 0) AND ${after}
       ORDER BY ${orderBy}
       LIMIT $9`,
      params,
    );
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const items: IncidentSummary[] = rows.slice(0, filter.limit).map((r) => ({
      incidentId: r.incident_id,
      title: r.title,
      source: r.source,
      severity: r.severity,
      phase: r.phase,
      escalationLevel: r.escalation_level,
      commander: r.commander,
      alertCount: r.alert_count,
      openedAt: r.opened_at.toISOString(),
      acknowledgedAt: iso(r.acknowledged_at),
      containedAt: iso(r.contained_at),
      resolvedAt: iso(r.resolved_at),
      closedAt: iso(r.closed_at),
      nextDeadline: r.next_deadline ? { kind: r.next_deadline.kind, dueAt: r.next_deadline.dueAt } : null,
      overdue: r.overdue_rank === 0,
      escalatesAt: iso(r.escalates_at),
      version: r.state_version,
      ...(filter.includeState ? { state: r.state } : {}),
    }));
    const last = items.at(-1);
    if (!(rows.length > filter.limit && last)) return { items };
    return deadline
      ? { items, next: { asOf, overdue: last.overdue, escalatesAt: last.escalatesAt, incidentId: last.incidentId } }
      : { items, next: { openedAt: last.openedAt, incidentId: last.incidentId } };
  }
}

const OPEN_PHASES_SQL = OPEN_PHASES.map((p) => `'${p}'`).join(', ');

/** An instant inside the stored state (written by toISOString, so the cast reads it as written). */
const at = (json: string) => `(${json})::timestamptz`;

/**
 * src/domain/queue-order.ts `isOverdue` over the stored row, at the instant $8: the awaited deadline or
 * a running stage's breached in this phase or due, an open task due, a running regulatory clock
 * missed or due.
 */
const OVERDUE_SQL = `(phase IN (${OPEN_PHASES_SQL}) AND (
    EXISTS (SELECT 1 FROM jsonb_array_elements(
              CASE WHEN next_deadline IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(next_deadline) END
              || COALESCE(state->'stageDeadlines', '[]'::jsonb)) d
             WHERE ${at("d->>'dueAt'")} <= $8::timestamptz
                OR sla_breaches @> jsonb_build_array(jsonb_build_object('deadline', d->'kind', 'phase', phase)))
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(state->'tasks', '[]'::jsonb)) t
                WHERE t->>'status' = 'open' AND ${at("t->>'dueAt'")} <= $8::timestamptz)
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(state->'regulatoryClocks', '[]'::jsonb)) c
                WHERE c->'filing' IS NULL AND c->>'startedAt' IS NOT NULL
                  AND ((c->>'missed')::boolean OR (c->>'dueAt' IS NOT NULL AND ${at("c->>'dueAt'")} <= $8::timestamptz)))))`;

/** src/domain/queue-order.ts `escalatesAt` over the stored row: the soonest due time of what it waits for. */
const ESCALATES_AT_SQL = `(CASE WHEN phase IN (${OPEN_PHASES_SQL}) THEN LEAST(
    ${at("next_deadline->>'dueAt'")},
    (SELECT min(${at("d->>'dueAt'")}) FROM jsonb_array_elements(COALESCE(state->'stageDeadlines', '[]'::jsonb)) d),
    (SELECT min(${at("COALESCE(t->>'nextOverdueAt', t->>'dueAt')")}) FROM jsonb_array_elements(COALESCE(state->'tasks', '[]'::jsonb)) t
      WHERE t->>'status' = 'open'),
    (SELECT min(${at("c->>'dueAt'")}) FROM jsonb_array_elements(COALESCE(state->'regulatoryClocks', '[]'::jsonb)) c
      WHERE c->'filing' IS NULL AND c->>'startedAt' IS NOT NULL AND NOT COALESCE((c->>'missed')::boolean, false) AND c->>'dueAt' IS NOT NULL)
  ) END)`;

/** The deadline order's key: the escalation instant, computed once per row in the inner query; none sorts last. */
const ESCALATES_KEY = "COALESCE(q.escalates_at, 'infinity'::timestamptz)";

/** Where the queue's order (`order: 'deadline'`) goes on after a page. */
export interface DeadlinePosition {
  /** The instant overdue is judged at, the same on every page of one listing. */
  asOf: string;
  overdue: boolean;
  escalatesAt: string | null;
  incidentId: string;
}

export interface PagePosition {
  openedAt: string;
  incidentId: string;
}

export interface IncidentFilter {
  status?: Phase;
  /** Only the phases that still wait for something (src/domain/phase.ts OPEN_PHASES). */
  open?: boolean;
  /** Only incidents overdue at `asOf` (src/domain/queue-order.ts isOverdue). */
  overdue?: boolean;
  order?: 'opened' | 'deadline';
  /** The instant overdue is judged at; default now. */
  asOf?: string;
  includeState?: boolean;
  afterDeadline?: DeadlinePosition;
  severity?: Severity;
  source?: string;
  commander?: string;
  openedAfter?: string;
  after?: PagePosition;
  limit: number;
}

export interface IncidentSummary {
  incidentId: string;
  title: string;
  source: string;
  severity: Severity;
  phase: Phase;
  escalationLevel: number;
  commander: string | null;
  alertCount: number;
  openedAt: string;
  acknowledgedAt: string | null;
  containedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  nextDeadline: { kind: DeadlineKind; dueAt: string } | null;
  overdue: boolean;
  escalatesAt: string | null;
  version: number;
  state?: IncidentState;
}
