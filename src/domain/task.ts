import type { IncidentRole } from './decisions';
import type { Principal, Role } from './principal';

/**
 * Human work inside an incident: a playbook's tasks and approval gates, and tasks managers add by
 * hand. Pure rules, sandbox-safe: the workflow applies them in its Update handlers and validators,
 * and the API reads the same shapes from the read model.
 */

export const TASK_STATUSES = ['open', 'done', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Who a task belongs to while nobody is assigned: an API role, or whoever holds an incident role. */
export type TaskOwner = { role: Role } | { incidentRole: IncidentRole };

export interface TaskOutcomeField {
  name: string;
  type: 'string' | 'boolean' | 'number';
  required: boolean;
}

export type OutcomeValue = string | number | boolean;

export interface TaskEvent {
  by: Principal;
  at: string;
}

export interface ApprovalRecord extends TaskEvent {
  approved: boolean;
  reason?: string;
}

export interface IncidentTask {
  /** The playbook step's id for playbook work; `adhoc-<n>` for tasks added by hand. */
  taskId: string;
  kind: 'task' | 'approval';
  title: string;
  /** Markdown. */
  instructions?: string;
  owner: TaskOwner;
  /** The person it is assigned to: set by a reassignment, or the incident role's holder when it was created. */
  assignee?: string;
  status: TaskStatus;
  createdAt: string;
  dueAt: string;
  remindEvery?: number;
  /** One reminder this long before the due time (follow-ups are reminded on their due date). */
  remindBefore?: number;
  remindersSent: number;
  /** Pages sent because the task was overdue; the next one falls one repeat interval later. */
  overduePages: number;
  /** When the next page for an overdue task falls due (absent until the first miss). */
  nextOverdueAt?: string;
  outcomeFields?: TaskOutcomeField[];
  /** Artifacts the task refers to, by id. */
  evidence?: string[];
  /** Approval gates: the roles that may approve, and whether two different people must. */
  approvers?: Role[];
  distinctApprovers?: 1 | 2;
  approvals?: ApprovalRecord[];
  outcome?: Record<string, OutcomeValue>;
  completed?: TaskEvent;
  skipped?: TaskEvent & { reason: string };
  /** Ad-hoc tasks: who added them. */
  added?: TaskEvent;
  reassignments?: Array<TaskEvent & { from?: string; to: string; reason?: string }>;
  comments?: Array<TaskEvent & { text: string }>;
}

export const COMMENTS_KEPT = 50;

/** The decisions a person sends about a task (the API's bodies, signed in by the principal). */
export interface TaskCompletion {
  taskId: string;
  outcome?: Record<string, OutcomeValue>;
  /** Approval gates: approve or refuse. */
  approved?: boolean;
  reason?: string;
}
export interface TaskReassignment {
  taskId: string;
  assignee: string;
  reason?: string;
}
export interface TaskSkip {
  taskId: string;
  reason: string;
}
export interface TaskComment {
  taskId: string;
  text: string;
}
export interface AdHocTask {
  title: string;
  instructions?: string;
  owner: TaskOwner;
  assignee?: string;
  /** Milliseconds from now. */
  due: number;
  remindEvery?: number;
  outcomeFields?: TaskOutcomeField[];
}

/** A closed incident's follow-ups (src/domain/follow-up.ts) are tasks `follow-up-<n>`; no other task may take the prefix. */
export const FOLLOW_UP_PREFIX = 'follow-up-';
export const isFollowUp = (taskId: string) => taskId.startsWith(FOLLOW_UP_PREFIX);

export const isTaskOpen = (task: IncidentTask) => task.status === 'open';

export function findTask(tasks: readonly IncidentTask[], taskId: string): IncidentTask | undefined {
  return tasks.find((t) => t.taskId === taskId);
}

function openTaskRejection(tasks: readonly IncidentTask[], taskId: string): string | IncidentTask {
  const task = findTask(tasks, taskId);
  if (!task) return `no task "${taskId}" on this incident`;
  if (task.status === 'done') return `task "${taskId}" was already completed by ${task.completed?.by.name} at ${task.completed?.at}`;
  if (task.status === 'skipped') return `task "${taskId}" was skipped by ${task.skipped?.by.name} at ${task.skipped?.at}`;
  return task;
}

/** The person holding each incident role, for owners named by incident role. */
export type RoleHolders = Partial<Record<IncidentRole, string>>;

/**
 * Who may complete a task: its assignee; while nobody is assigned, anyone with the owner's API
 * role or holding the owner's incident role; and any manager, who answers for the response (the
 * audit names who did it). Approval gates go by their approver roles alone.
 */
export function mayComplete(task: IncidentTask, by: Principal, holders: RoleHolders): boolean {
  if (task.kind === 'approval') return (task.approvers ?? []).includes(by.role);
  if (by.role === 'manager') return true;
  if (task.assignee !== undefined) return task.assignee === by.name;
  if ('role' in task.owner) return task.owner.role === by.role;
  return holders[task.owner.incidentRole] === by.name;
}

function outcomeProblems(task: IncidentTask, outcome: Record<string, OutcomeValue> | undefined): string | undefined {
  const fields = task.outcomeFields ?? [];
  const given = outcome ?? {};
  for (const name of Object.keys(given)) {
    if (!fields.some((f) => f.name === name)) return `outcome.${name} is not a field of task "${task.taskId}" (its fields: ${fields.map((f) => f.name).join(', ') || 'none'})`;
  }
  for (const field of fields) {
    const value = given[field.name];
    if (value === undefined) {
      if (field.required) return `outcome.${field.name} is required to complete task "${task.taskId}"`;
      continue;
    }
    if (typeof value !== field.type) return `outcome.${field.name} must be a ${field.type}`;
  }
  return undefined;
}

export function completionRejection(tasks: readonly IncidentTask[], completion: TaskCompletion, by: Principal, holders: RoleHolders): string | undefined {
  const found = openTaskRejection(tasks, completion.taskId);
  if (typeof found === 'string') return found;
  if (!mayComplete(found, by, holders)) {
    return found.kind === 'approval'
      ? `only ${found.approvers?.join(' or ')} may decide approval "${found.taskId}"`
      : `task "${found.taskId}" belongs to ${found.assignee ?? ownerLabel(found.owner)}, not to ${by.name}`;
  }
  if (found.kind === 'approval') {
    if (completion.approved === undefined) return `approval "${found.taskId}" needs approved: true or false`;
    if (completion.outcome !== undefined) return `approval "${found.taskId}" takes approved and reason, not an outcome`;
    if ((found.approvals ?? []).some((a) => a.by.name === by.name)) return `${by.name} already approved "${found.taskId}"; a second approver must be someone else`;
    return undefined;
  }
  if (completion.approved !== undefined) return `task "${found.taskId}" is not an approval; send its outcome instead`;
  return outcomeProblems(found, completion.outcome);
}

export const ownerLabel = (owner: TaskOwner) => ('role' in owner ? `the ${owner.role} role` : `the incident's ${owner.incidentRole}`);

/**
 * Applies a completion. A task is done at once; an approval is decided by the first refusal, or
 * once enough distinct people approved (one, or two for four-eyes gates).
 */
export function completeTask(tasks: readonly IncidentTask[], completion: TaskCompletion, by: Principal, now: Date): IncidentTask[] {
  const at = now.toISOString();
  return tasks.map((task) => {
    if (task.taskId !== completion.taskId) return task;
    if (task.kind === 'task') return { ...task, status: 'done', outcome: completion.outcome ?? {}, completed: { by, at } };
    const approvals = [...(task.approvals ?? []), { by, at, approved: completion.approved === true, ...(completion.reason ? { reason: completion.reason } : {}) }];
    const refused = approvals.some((a) => !a.approved);
    const decided = refused || approvals.length >= (task.distinctApprovers ?? 1);
    return decided ? { ...task, approvals, status: 'done', outcome: { approved: !refused }, completed: { by, at } } : { ...task, approvals };
  });
}

export function reassignmentRejection(tasks: readonly IncidentTask[], reassignment: TaskReassignment): string | undefined {
  const found = openTaskRejection(tasks, reassignment.taskId);
  if (typeof found === 'string') return found;
  if (found.kind === 'approval') return `approval "${found.taskId}" goes to its approver roles; it cannot be assigned to one person`;
  if (found.assignee === reassignment.assignee) return `task "${found.taskId}" is already assigned to ${reassignment.assignee}`;
  return undefined;
}

export function reassignTask(tasks: readonly IncidentTask[], reassignment: TaskReassignment, by: Principal, now: Date): IncidentTask[] {
  return tasks.map((task) =>
    task.taskId !== reassignment.taskId
      ? task
      : {
          ...task,
          assignee: reassignment.assignee,
          reassignments: [
            ...(task.reassignments ?? []),
            { by, at: now.toISOString(), to: reassignment.assignee, ...(task.assignee ? { from: task.assignee } : {}), ...(reassignment.reason ? { reason: reassignment.reason } : {}) },
          ],
        },
  );
}

export function skipRejection(tasks: readonly IncidentTask[], skip: TaskSkip): string | undefined {
  const found = openTaskRejection(tasks, skip.taskId);
  if (typeof found === 'string') return found;
  if (skip.reason.trim().length === 0) return 'a skip needs a reason';
  return undefined;
}

export function skipTask(tasks: readonly IncidentTask[], skip: TaskSkip, by: Principal, now: Date): IncidentTask[] {
  return tasks.map((task) => (task.taskId !== skip.taskId ? task : { ...task, status: 'skipped', skipped: { by, at: now.toISOString(), reason: skip.reason } }));
}

export function commentRejection(tasks: readonly IncidentTask[], comment: TaskComment): string | undefined {
  return findTask(tasks, comment.taskId) ? undefined : `no task "${comment.taskId}" on this incident`;
}

export function commentOnTask(tasks: readonly IncidentTask[], comment: TaskComment, by: Principal, now: Date): IncidentTask[] {
  return tasks.map((task) =>
    task.taskId !== comment.taskId ? task : { ...task, comments: [...(task.comments ?? []), { by, at: now.toISOString(), text: comment.text }].slice(-COMMENTS_KEPT) },
  );
}

/** An ad-hoc task's id: the first `adhoc-<n>`, counting on from the ad-hoc tasks so far, that no task holds (a playbook step may be called so). */
export function nextAdHocId(tasks: readonly IncidentTask[]): string {
  const taken = new Set(tasks.map((t) => t.taskId));
  let n = tasks.filter((t) => t.taskId.startsWith('adhoc-')).length + 1;
  while (taken.has(`adhoc-${n}`)) n += 1;
  return `adhoc-${n}`;
}

export function addAdHocTask(tasks: readonly IncidentTask[], added: AdHocTask, holders: RoleHolders, by: Principal, now: Date): IncidentTask[] {
  const assignee = added.assignee ?? ('incidentRole' in added.owner ? holders[added.owner.incidentRole] : undefined);
  const task: IncidentTask = {
    taskId: nextAdHocId(tasks),
    kind: 'task',
    title: added.title,
    ...(added.instructions ? { instructions: added.instructions } : {}),
    owner: added.owner,
    ...(assignee ? { assignee } : {}),
    status: 'open',
    createdAt: now.toISOString(),
    dueAt: new Date(now.getTime() + added.due).toISOString(),
    ...(added.remindEvery ? { remindEvery: added.remindEvery } : {}),
    remindersSent: 0,
    overduePages: 0,
    ...(added.outcomeFields?.length ? { outcomeFields: added.outcomeFields } : {}),
    added: { by, at: now.toISOString() },
  };
  return [...tasks, task];
}

// --- time: reminders and overdue pages -------------------------------------------------------------

export type TaskTimerKind = 'reminder' | 'overdue';
export interface TaskTimer {
  taskId: string;
  kind: TaskTimerKind;
  at: number;
}

/** When an open task next needs the clock: its next reminder before the due time, or its (next) overdue page. */
export function taskTimer(task: IncidentTask): TaskTimer | undefined {
  if (!isTaskOpen(task)) return undefined;
  const due = Date.parse(task.dueAt);
  if (task.nextOverdueAt !== undefined) return { taskId: task.taskId, kind: 'overdue', at: Date.parse(task.nextOverdueAt) };
  if (task.remindEvery) {
    const reminder = Date.parse(task.createdAt) + (task.remindersSent + 1) * task.remindEvery;
    if (reminder < due) return { taskId: task.taskId, kind: 'reminder', at: reminder };
  }
  if (task.remindBefore && task.remindersSent === 0) {
    // Still sent when the lead time has already begun, unless the task was created inside it.
    const reminder = due - task.remindBefore;
    if (reminder > Date.parse(task.createdAt)) return { taskId: task.taskId, kind: 'reminder', at: reminder };
  }
  return { taskId: task.taskId, kind: 'overdue', at: due };
}

/** The earliest timer over all open tasks (ties: the first task in order). */
export function nextTaskTimer(tasks: readonly IncidentTask[]): TaskTimer | undefined {
  let next: TaskTimer | undefined;
  for (const task of tasks) {
    const timer = taskTimer(task);
    if (timer && (!next || timer.at < next.at)) next = timer;
  }
  return next;
}

export function taskReminderSent(tasks: readonly IncidentTask[], taskId: string): IncidentTask[] {
  return tasks.map((t) => (t.taskId === taskId ? { ...t, remindersSent: t.remindersSent + 1 } : t));
}

/**
 * An overdue page went out: the next falls one repeat interval after the one missed, or from now
 * when that has passed already (a backlog is one page, not a burst), as for the phases' deadlines.
 */
export function taskOverduePaged(tasks: readonly IncidentTask[], taskId: string, repeatMs: number, now: Date): IncidentTask[] {
  return tasks.map((t) => {
    if (t.taskId !== taskId) return t;
    const missed = Date.parse(t.nextOverdueAt ?? t.dueAt);
    const onGrid = missed + repeatMs;
    return { ...t, overduePages: t.overduePages + 1, nextOverdueAt: new Date(onGrid > now.getTime() ? onGrid : now.getTime() + repeatMs).toISOString() };
  });
}

export const isOverdue = (task: IncidentTask, now: Date) => isTaskOpen(task) && Date.parse(task.dueAt) <= now.getTime();

/** Who a reminder goes to: the assignee, else the incident role's holder, else the owner role itself. */
export function reminderRecipient(task: IncidentTask, holders: RoleHolders): string {
  if (task.assignee) return task.assignee;
  if ('incidentRole' in task.owner) return holders[task.owner.incidentRole] ?? `incident ${task.owner.incidentRole}`;
  return `role ${task.owner.role}`;
}
