/**
 * Which decision forms the incident page shows, and which of those the incident's phase allows
 * now. Roles come from the domain's DECISION_ROLES, the table the API and the workflow judge by: a
 * role that may not make a decision does not see its form. The phase rules mirror the workflow's
 * validators so a form that cannot succeed is disabled with the reason; the workflow stays the
 * judge, and its 409 is shown at the form when the state moved on meanwhile.
 */
import { DECISION_ROLES, type DecisionName } from '../../../domain/decision-roles';
import type { Role } from '../../../domain/principal';
import type { IncidentState, IncidentTask } from './state';

export function mayMake(role: Role, decision: DecisionName): boolean {
  return (DECISION_ROLES[decision] as readonly Role[]).includes(role);
}

const closed = (state: IncidentState) => (state.phase === 'closed' || state.phase === 'dismissed' ? `the incident is ${state.phase}` : undefined);
const needsPhase = (state: IncidentState, phase: IncidentState['phase'], what: string) =>
  state.phase === phase ? undefined : `${what} needs phase ${phase}; the incident is in ${state.phase}`;

/** Why the incident's state does not allow the decision now, or undefined when it does. */
export function phaseRejection(state: IncidentState, decision: DecisionName): string | undefined {
  switch (decision) {
    case 'acknowledge':
      if (state.acknowledgedAt) return `already acknowledged by ${state.acknowledgedBy?.name ?? 'someone'}`;
      return needsPhase(state, 'detected', 'acknowledging');
    case 'assess':
      return needsPhase(state, 'triage', 'an assessment');
    case 'approveContainment': {
      const phase = needsPhase(state, 'response', 'a containment approval');
      if (phase) return phase;
      const approval = state.response?.approval;
      if (approval) return `containment was already ${approval.approved ? 'approved' : 'refused'} by ${approval.by.name}`;
      if (!state.response?.awaitingApproval) return 'the response is not waiting for a containment approval';
      return undefined;
    }
    case 'recordReview':
      if (state.review) return `the review was already recorded by ${state.review.by.name}`;
      return needsPhase(state, 'review', 'a review outcome');
    case 'close':
      return needsPhase(state, 'review', 'closing');
    case 'applyPlaybook': {
      const phase = closed(state) ?? needsPhase(state, 'response', 'applying a playbook');
      if (phase) return phase;
      // The workflow's rule: a built-in plan's half-done stages are not handed to a playbook.
      if (!state.playbookRun) return `the incident runs the built-in ${state.assessment?.strategy.replace('_', ' ') ?? 'contain first'} plan; a playbook is named at assessment`;
      return undefined;
    }
    case 'determineMateriality':
      if (state.materiality) return `materiality was already determined by ${state.materiality.by.name}`;
      return closed(state);
    default:
      return closed(state);
  }
}

/** Why this person may not complete or skip the task now, or undefined; the workflow's rule (task.ts mayComplete). */
export function taskRejection(task: IncidentTask, action: 'completeTask' | 'skipTask', state: IncidentState, principal: { name: string; role: Role }): string | undefined {
  const incidentClosed = closed(state);
  if (incidentClosed) return incidentClosed;
  if (task.status !== 'open') return `the task is ${task.status}`;
  if (action === 'skipTask') return undefined;
  if (task.kind === 'approval') {
    if (!(task.approvers ?? []).includes(principal.role)) return `only ${(task.approvers ?? []).join(' or ')} may decide this approval`;
    if ((task.approvals ?? []).some((a) => a.by.name === principal.name)) return 'you approved it already; a second approver must be someone else';
    return undefined;
  }
  if (principal.role === 'manager') return undefined;
  if (task.assignee !== undefined) return task.assignee === principal.name ? undefined : `assigned to ${task.assignee}`;
  if ('role' in task.owner) return task.owner.role === principal.role ? undefined : `belongs to the ${task.owner.role} role`;
  const holder = state.roles?.[task.owner.incidentRole]?.person;
  return holder === principal.name ? undefined : `belongs to the incident's ${task.owner.incidentRole}${holder ? ` (${holder})` : ''}`;
}
