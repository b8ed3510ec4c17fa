import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { IncidentActivities } from '../activities/types';
import type { AuditEntryInput } from '../domain/audit-chain';
import type { Decided } from '../domain/decisions';
import {
  commentOnFollowUp,
  completeFollowUp,
  followUpCompletionRejection,
  followUpOverdue,
  followUpReminded,
  followUpsSettled,
  reassignFollowUp,
  skipFollowUp,
  type FollowUpState,
} from '../domain/follow-up';
import { commentRejection, findTask, nextTaskTimer, reassignmentRejection, reminderRecipient, skipRejection } from '../domain/task';
import {
  commentFollowUpUpdate,
  completeFollowUpUpdate,
  followUpStateQuery,
  reassignFollowUpUpdate,
  skipFollowUpUpdate,
  type FollowUpWorkflowInput,
} from './messages';
import { APPLIED_UPDATE_IDS_KEPT, registerDecision, SYSTEM_ACTOR } from './decision-handler';
import { RETRY_POLICIES } from './retry-policies';

const { recordFollowUps, notify } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: RETRY_POLICIES.untilDelivered,
});

/**
 * A closed incident's follow-ups: its review's action items, each reminded on its due date and
 * paging up the incident's chain every day it stays overdue, until each is completed or skipped
 * (both audited on the incident's chain). Started by the incident as it closes, and left running.
 */
export async function followUpWorkflow(input: FollowUpWorkflowInput): Promise<FollowUpState> {
  let state: FollowUpState = input.carried?.state ?? input.initial;
  const appliedUpdateIds = new Set(input.carried?.appliedUpdateIds ?? []);
  const pendingAudit: AuditEntryInput[] = [];
  const audit = (entry: Omit<AuditEntryInput, 'at' | 'actor' | 'actorRole' | 'outcome'> & Partial<AuditEntryInput>) =>
    pendingAudit.push({ at: new Date().toISOString(), actor: SYSTEM_ACTOR, actorRole: 'system', outcome: 'recorded', ...entry });
  const publish = async () => recordFollowUps(state, pendingAudit.splice(0, pendingAudit.length));
  const base = () => ({ incidentId: state.incidentId, title: state.title, severity: state.severity });
  const holders = () => (state.commander ? { commander: state.commander } : {});

  // The opening comes first on the chain, ahead of a decision that came in the first workflow task
  // and runs as its handler is registered below (pitfall 66). The first publish writes it.
  if (!input.carried) {
    audit({
      entryKey: 'follow-ups-opened',
      action: 'open_follow_ups',
      details: { followUps: state.tasks.map((t) => ({ taskId: t.taskId, title: t.title, assignee: t.assignee, dueAt: t.dueAt })) },
    });
  }

  setHandler(followUpStateQuery, () => state);

  const decisionHost = { state: () => state, appliedUpdateIds, audit, publish };
  const decision = <T>(
    definition: UpdateDefinition<FollowUpState, [Decided<T>]>,
    rejection: (decided: Decided<T>) => string | undefined,
    apply: (decided: Decided<T>) => FollowUpState,
  ) =>
    registerDecision(decisionHost, definition, rejection, (decided) => {
      state = apply(decided);
    });

  const now = () => new Date();
  decision(completeFollowUpUpdate, ({ decision: d, principal }) => followUpCompletionRejection(state, d, principal), ({ decision: d, principal }) => completeFollowUp(state, d, principal, now()));
  decision(reassignFollowUpUpdate, ({ decision: d }) => reassignmentRejection(state.tasks, d), ({ decision: d, principal }) => reassignFollowUp(state, d, principal, now()));
  decision(skipFollowUpUpdate, ({ decision: d }) => skipRejection(state.tasks, d), ({ decision: d, principal }) => skipFollowUp(state, d, principal, now()));
  decision(commentFollowUpUpdate, ({ decision: d }) => commentRejection(state.tasks, d), ({ decision: d, principal }) => commentOnFollowUp(state, d, principal, now()));

  if (!input.carried) await publish();

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  while (!followUpsSettled(state) && !shouldContinueAsNew()) {
    const watched = state.tasks;
    const next = nextTaskTimer(state.tasks)!;
    const woken = () => state.tasks !== watched || shouldContinueAsNew();
    if (await condition(woken, Math.max(next.at - Date.now(), 1))) continue;
    const task = findTask(state.tasks, next.taskId)!;
    if (next.kind === 'reminder') {
      state = followUpReminded(state, task.taskId);
      const recipient = reminderRecipient(task, holders());
      audit({ entryKey: `follow-up-reminder:${task.taskId}:${task.remindersSent + 1}`, action: 'task_reminder', details: { taskId: task.taskId, recipient, reminder: task.remindersSent + 1, dueAt: task.dueAt } });
      await notify({ ...base(), kind: 'task_reminder', recipient, taskId: task.taskId, taskTitle: task.title, reminder: task.remindersSent + 1, dueAt: task.dueAt });
    } else {
      const overdue = followUpOverdue(state, task.taskId, now());
      state = overdue.state;
      const e = overdue.escalation;
      audit({ entryKey: `follow-up-page:${e.page}`, action: 'escalate', outcome: 'missed', details: { ...e, taskId: task.taskId } });
      await notify({ ...base(), kind: 'escalation', escalation: e });
    }
    await publish();
  }

  await condition(allHandlersFinished);
  if (!followUpsSettled(state)) {
    return continueAsNew<typeof followUpWorkflow>({ ...input, carried: { state, appliedUpdateIds: [...appliedUpdateIds].slice(-APPLIED_UPDATE_IDS_KEPT) } });
  }
  audit({ entryKey: 'follow-ups-settled', action: 'settle_follow_ups', details: { done: state.tasks.filter((t) => t.status === 'done').length, skipped: state.tasks.filter((t) => t.status === 'skipped').length } });
  await publish();
  return state;
}
