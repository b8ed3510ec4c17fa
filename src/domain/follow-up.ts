import type { ActionItem } from './decisions';
import { nextEscalationStep, type EscalationChain } from './escalation';
import { pageFor, type EscalationRecord, type IncidentState } from './incident';
import { chainFor, type PolicyTable } from './policy';
import type { Principal } from './principal';
import type { Severity } from './severity';
import {
  FOLLOW_UP_PREFIX,
  commentOnTask,
  completeTask,
  completionRejection,
  findTask,
  isTaskOpen,
  reassignTask,
  skipTask,
  taskOverduePaged,
  type IncidentTask,
  type RoleHolders,
  type TaskComment,
  type TaskCompletion,
  type TaskReassignment,
  type TaskSkip,
} from './task';

/**
 * Follow-ups: the review's action items, tracked to done after the incident has closed. Each
 * becomes a task owned by the incident's commander and assigned to the item's owner; it is
 * reminded on its due date and pages up the incident's escalation chain once overdue, as long as
 * it stays open. Pure rules, sandbox-safe: the follow-up workflow applies them.
 */

export { FOLLOW_UP_PREFIX, isFollowUp } from './task';

const DAY_MS = 24 * 60 * 60 * 1_000;
/** The owner is reminded this long before the item falls due: on its due date. */
export const FOLLOW_UP_REMINDER_LEAD_MS = DAY_MS;
/**
 * An overdue item pages again this often. Follow-ups are weeks of work, not minutes of response,
 * so the severity's escalation repeat (15 minutes for a SEV1) would be noise; a day is the rhythm
 * of the people who own them.
 */
export const FOLLOW_UP_REPEAT_MS = DAY_MS;

export interface FollowUpState {
  incidentId: string;
  title: string;
  severity: Severity;
  /** The incident's chain, copied at close: a later policy change does not move it. */
  chain: EscalationChain;
  /** Who held the commander role at close: owner of every item, paged beside the top once the chain is used up. */
  commander?: string;
  tasks: IncidentTask[];
  /** The chain position of the follow-ups' own pages: they start again at the bottom, whatever the incident reached. */
  escalationLevel: number;
  escalationLoop: number;
  escalations: EscalationRecord[];
  /** Counts on from the closed incident's version, so the read model's task rows only move forward. */
  version: number;
}

/** The follow-ups a closed incident leaves, or none when its review named no action items. */
export function followUpsOf(incident: IncidentState, policy: PolicyTable): FollowUpState | undefined {
  const items = incident.review?.actionItems ?? [];
  if (items.length === 0) return undefined;
  const closedAt = incident.closedAt ?? incident.closure?.at;
  if (!closedAt) throw new Error(`incident ${incident.incidentId} has not closed`);
  const commander = incident.roles.commander?.person;
  return openFollowUps({
    incidentId: incident.incidentId,
    title: incident.title,
    severity: incident.severity,
    chain: chainFor(policy[incident.severity]),
    ...(commander ? { commander } : {}),
    closedAt,
    incidentVersion: incident.version,
    items,
  });
}

export interface FollowUpOpening {
  incidentId: string;
  title: string;
  severity: Severity;
  chain: EscalationChain;
  commander?: string;
  closedAt: string;
  incidentVersion: number;
  items: readonly ActionItem[];
}

/** One open task per action item, numbered in the review's order (`follow-up-1`, …). */
export function openFollowUps(opening: FollowUpOpening): FollowUpState {
  return {
    incidentId: opening.incidentId,
    title: opening.title,
    severity: opening.severity,
    chain: opening.chain,
    ...(opening.commander ? { commander: opening.commander } : {}),
    tasks: opening.items.map((item, i) => followUpTask(item, i + 1, opening.closedAt)),
    escalationLevel: 0,
    escalationLoop: 0,
    escalations: [],
    version: opening.incidentVersion + 1,
  };
}

function followUpTask(item: ActionItem, n: number, closedAt: string): IncidentTask {
  return {
    taskId: `${FOLLOW_UP_PREFIX}${n}`,
    kind: 'task',
    title: item.title,
    owner: { incidentRole: 'commander' },
    assignee: item.owner,
    status: 'open',
    createdAt: closedAt,
    dueAt: item.dueAt,
    remindBefore: FOLLOW_UP_REMINDER_LEAD_MS,
    remindersSent: 0,
    overduePages: 0,
  };
}

/** The names of the follow-up decisions, as their updates and their audit entries carry them. */
export const FOLLOW_UP_DECISION_NAMES = { complete: 'completeFollowUp', reassign: 'reassignFollowUp', skip: 'skipFollowUp', comment: 'commentFollowUp' } as const;
const FOLLOW_UP_DECISIONS: ReadonlySet<string> = new Set(Object.values(FOLLOW_UP_DECISION_NAMES));

/**
 * Whether an audit entry of the incident's chain is its follow-ups' (a decision about one, or what
 * the follow-up workflow recorded: opened, reminded, paged, settled). The incident's own history
 * ends at the close, so the timeline shows them from the audit log.
 */
export function isFollowUpEntry(entry: { entryKey: string; action: string }): boolean {
  return FOLLOW_UP_DECISIONS.has(entry.action) || entry.entryKey.startsWith('follow-up-') || entry.entryKey.startsWith('follow-ups-');
}

export const followUpsSettled = (state: FollowUpState) => !state.tasks.some(isTaskOpen);

const holdersOf = (state: FollowUpState): RoleHolders => (state.commander ? { commander: state.commander } : {});
const bump = (state: FollowUpState, changes: Partial<FollowUpState>): FollowUpState => ({ ...state, ...changes, version: state.version + 1 });

export const followUpCompletionRejection = (state: FollowUpState, completion: TaskCompletion, by: Principal) =>
  completionRejection(state.tasks, completion, by, holdersOf(state));

export const completeFollowUp = (state: FollowUpState, completion: TaskCompletion, by: Principal, now: Date) =>
  bump(state, { tasks: completeTask(state.tasks, completion, by, now) });

export const reassignFollowUp = (state: FollowUpState, reassignment: TaskReassignment, by: Principal, now: Date) =>
  bump(state, { tasks: reassignTask(state.tasks, reassignment, by, now) });

export const skipFollowUp = (state: FollowUpState, skip: TaskSkip, by: Principal, now: Date) => bump(state, { tasks: skipTask(state.tasks, skip, by, now) });

export const commentOnFollowUp = (state: FollowUpState, comment: TaskComment, by: Principal, now: Date) =>
  bump(state, { tasks: commentOnTask(state.tasks, comment, by, now) });

export const followUpReminded = (state: FollowUpState, taskId: string) =>
  bump(state, { tasks: state.tasks.map((t) => (t.taskId === taskId ? { ...t, remindersSent: t.remindersSent + 1 } : t)) });

/**
 * An open follow-up is past due: the next level of the chain is paged (past the top, the top again
 * and the commander, so it never goes silent), and the item's next page falls a day later.
 */
export function followUpOverdue(state: FollowUpState, taskId: string, now: Date): { state: FollowUpState; escalation: EscalationRecord } {
  const task = findTask(state.tasks, taskId);
  if (!task) throw new Error(`incident ${state.incidentId} has no follow-up ${taskId}`);
  const step = nextEscalationStep(state.chain, { level: state.escalationLevel, loop: state.escalationLoop });
  const escalation = pageFor(step, {
    cause: 'followUp',
    reason: `follow-up "${task.title}" (${taskId}, owner ${task.assignee ?? 'unassigned'}) is overdue since ${task.dueAt}`,
    at: now,
    page: state.escalations.length + 1,
    commander: state.commander,
  });
  return {
    state: bump(state, {
      escalationLevel: step.level,
      escalationLoop: step.loop,
      escalations: [...state.escalations, escalation],
      tasks: taskOverduePaged(state.tasks, taskId, FOLLOW_UP_REPEAT_MS, now),
    }),
    escalation,
  };
}
