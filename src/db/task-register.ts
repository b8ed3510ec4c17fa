import type { Pool, PoolClient } from 'pg';
import { FOLLOW_UP_PREFIX, isFollowUp } from '../domain/follow-up';
import type { Phase } from '../domain/incident';
import type { Severity } from '../domain/severity';
import type { IncidentTask, TaskOwner, TaskStatus } from '../domain/task';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** Where a page of the to-do list ends: the last task's due time and its key. */
export interface TaskPagePosition {
  dueAt: string;
  incidentId: string;
  taskId: string;
}

export interface TaskFilter {
  assignee?: string;
  /** true: open and past due now; false: everything else. */
  overdue?: boolean;
  status?: TaskStatus;
  after?: TaskPagePosition;
  limit: number;
}

/** One line of a to-do list: the task, and the incident it belongs to. */
export interface TaskSummary {
  incidentId: string;
  taskId: string;
  kind: IncidentTask['kind'];
  title: string;
  status: TaskStatus;
  assignee: string | null;
  owner: TaskOwner;
  dueAt: string;
  createdAt: string;
  completedAt: string | null;
  completedBy: string | null;
  skippedAt: string | null;
  overdue: boolean;
  /** A closed incident's follow-up (its decisions go to …/follow-ups/:taskId/…), not a task of the running response. */
  followUp: boolean;
  incident: { title: string | null; severity: Severity | null; phase: Phase | null };
}

/** The read model of incidents' tasks: written with the incident's row, read by the to-do list. */
export class TaskRegister {
  constructor(private readonly pool: Pool) {}

  /**
   * One row per task of the snapshot. A row written from a newer version of the incident is
   * never overwritten by an older snapshot arriving late. Run it in the incident row's transaction.
   */
  async record(db: Queryable, incidentId: string, version: number, tasks: readonly IncidentTask[]): Promise<void> {
    if (tasks.length === 0) return;
    // Rows in key order, so two writers of one incident lock them in the same order.
    const rows = [...tasks]
      .sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0))
      .map((t) => ({
        task_id: t.taskId,
        kind: t.kind,
        title: t.title,
        status: t.status,
        assignee: t.assignee ?? null,
        owner_role: 'role' in t.owner ? t.owner.role : null,
        owner_incident_role: 'incidentRole' in t.owner ? t.owner.incidentRole : null,
        due_at: t.dueAt,
        created_at: t.createdAt,
        completed_at: t.completed?.at ?? null,
        completed_by: t.completed?.by.name ?? null,
        skipped_at: t.skipped?.at ?? null,
        task: t,
      }));
    await db.query(
      `INSERT INTO incident_tasks (incident_id, task_id, kind, title, status, assignee, owner_role, owner_incident_role,
                                   due_at, created_at, completed_at, completed_by, skipped_at, incident_version, task)
       SELECT $1::text, t.task_id, t.kind, t.title, t.status, t.assignee, t.owner_role, t.owner_incident_role,
              t.due_at, t.created_at, t.completed_at, t.completed_by, t.skipped_at, $2::integer, t.task
         FROM jsonb_to_recordset($3::jsonb) AS t(task_id text, kind text, title text, status text, assignee text, owner_role text,
                                                 owner_incident_role text, due_at timestamptz, created_at timestamptz,
                                                 completed_at timestamptz, completed_by text, skipped_at timestamptz, task jsonb)
       ON CONFLICT (incident_id, task_id) DO UPDATE SET
         kind = EXCLUDED.kind, title = EXCLUDED.title, status = EXCLUDED.status, assignee = EXCLUDED.assignee,
         owner_role = EXCLUDED.owner_role, owner_incident_role = EXCLUDED.owner_incident_role, due_at = EXCLUDED.due_at,
         created_at = EXCLUDED.created_at, completed_at = EXCLUDED.completed_at, completed_by = EXCLUDED.completed_by,
         skipped_at = EXCLUDED.skipped_at, incident_version = EXCLUDED.incident_version, task = EXCLUDED.task
       WHERE incident_tasks.incident_version < EXCLUDED.incident_version`,
      [incidentId, version, JSON.stringify(rows)],
    );
  }

  /** An incident's follow-ups as last recorded, in the review's order (`follow-up-1`, `follow-up-2`, …). */
  async followUps(incidentId: string): Promise<IncidentTask[]> {
    const { rows } = await this.pool.query(
      `SELECT task FROM incident_tasks WHERE incident_id = $1 AND starts_with(task_id, $2) ORDER BY length(task_id), task_id`,
      [incidentId, FOLLOW_UP_PREFIX],
    );
    return rows.map((r) => r.task as IncidentTask);
  }

  /** A page of tasks across incidents, soonest due first, after the cursor's position. */
  async list(filter: TaskFilter, now: Date = new Date()): Promise<{ items: TaskSummary[]; next?: TaskPagePosition }> {
    const { rows } = await this.pool.query(
      `SELECT t.incident_id, t.task_id, t.kind, t.title, t.status, t.assignee, t.owner_role, t.owner_incident_role,
              t.due_at, t.created_at, t.completed_at, t.completed_by, t.skipped_at,
              (t.status = 'open' AND t.due_at <= $4) AS overdue,
              i.title AS incident_title, i.severity, i.phase
         FROM incident_tasks t LEFT JOIN incidents i ON i.incident_id = t.incident_id
        WHERE ($1::text IS NULL OR t.assignee = $1)
          AND ($2::text IS NULL OR t.status = $2)
          AND ($3::boolean IS NULL OR (t.status = 'open' AND t.due_at <= $4) = $3)
          AND ($5::timestamptz IS NULL OR (t.due_at, t.incident_id, t.task_id) > ($5, $6, $7))
        ORDER BY t.due_at, t.incident_id, t.task_id
        LIMIT $8`,
      [
        filter.assignee ?? null,
        filter.status ?? null,
        filter.overdue ?? null,
        now,
        filter.after?.dueAt ?? null,
        filter.after?.incidentId ?? null,
        filter.after?.taskId ?? null,
        filter.limit + 1,
      ],
    );
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const items: TaskSummary[] = rows.slice(0, filter.limit).map((r) => ({
      incidentId: r.incident_id,
      taskId: r.task_id,
      kind: r.kind,
      title: r.title,
      status: r.status,
      assignee: r.assignee,
      owner: r.owner_role !== null ? { role: r.owner_role } : { incidentRole: r.owner_incident_role },
      dueAt: r.due_at.toISOString(),
      createdAt: r.created_at.toISOString(),
      completedAt: iso(r.completed_at),
      completedBy: r.completed_by,
      skippedAt: iso(r.skipped_at),
      overdue: r.overdue,
      followUp: isFollowUp(r.task_id),
      incident: { title: r.incident_title, severity: r.severity, phase: r.phase },
    }));
    const last = items.at(-1);
    return rows.length > filter.limit && last ? { items, next: { dueAt: last.dueAt, incidentId: last.incidentId, taskId: last.taskId } } : { items };
  }
}
