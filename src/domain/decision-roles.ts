import type { Role } from './principal';

const DECIDERS = ['responder', 'manager'] as const satisfies readonly Role[];
const MANAGERS = ['manager'] as const satisfies readonly Role[];

/**
 * Which API-key roles may make each decision, by the update's name. One table for both sides: the
 * API refuses other roles with 403 before sending, and the workflow's validators refuse them again,
 * so a decision that reaches Temporal some other way is judged by the same rule. Rules about the
 * incident's own people (a task's assignee, its commander) come on top of this, in the domain.
 */
export const DECISION_ROLES = {
  acknowledge: DECIDERS,
  assess: MANAGERS,
  approveContainment: MANAGERS,
  assignRole: MANAGERS,
  escalate: DECIDERS,
  addNote: DECIDERS,
  recordReview: MANAGERS,
  close: MANAGERS,
  declareRegime: MANAGERS,
  determineMateriality: MANAGERS,
  recordFiling: MANAGERS,
  engageExternalAssistance: MANAGERS,
  addObservable: DECIDERS,
  addTask: MANAGERS,
  completeTask: DECIDERS,
  reassignTask: MANAGERS,
  skipTask: MANAGERS,
  commentTask: DECIDERS,
  applyPlaybook: MANAGERS,
  completeFollowUp: DECIDERS,
  reassignFollowUp: MANAGERS,
  skipFollowUp: MANAGERS,
  commentFollowUp: DECIDERS,
} as const satisfies Record<string, readonly Role[]>;

export type DecisionName = keyof typeof DECISION_ROLES;

export function isDecisionName(name: string): name is DecisionName {
  return Object.prototype.hasOwnProperty.call(DECISION_ROLES, name);
}

/** Why a role may not make a decision, or undefined when it may (an unknown decision is nobody's). */
export function decisionRoleRejection(name: string, role: Role): string | undefined {
  if (!isDecisionName(name)) return `no role may make the decision ${name}`;
  const allowed: readonly Role[] = DECISION_ROLES[name];
  return allowed.includes(role) ? undefined : `the role ${role} may not ${name} (${allowed.join(' or ')} may)`;
}
