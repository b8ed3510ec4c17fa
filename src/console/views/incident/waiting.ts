/**
 * What an incident is waiting for, from whom, and when it escalates if that does not come: derived
 * from the state the API answers (its next deadline, stage SLAs, open tasks, regulatory clocks and
 * escalation record). Pure: no DOM, no Preact, so it is tested on its own.
 *
 * Where the next escalation goes: a missed deadline pages the next step of the severity's chain
 * (src/domain/escalation.ts nextEscalationStep, the workflow's own rule). The chain is deployment
 * policy, read from GET /v1/policy: the policy new incidents are opened with. An incident opened
 * under an older policy file keeps its own, which the API does not show; for it the level named
 * comes from today's chain. Without the policy (not read yet, or refused), the level is the next
 * number up (the same level again once a page has repeated the top), and its targets are named
 * only when an earlier page of this incident went to that level.
 */
import { DECISION_ROLES, type DecisionName } from '../../../domain/decision-roles';
import { nextEscalationStep } from '../../../domain/escalation';
import { chainFor, type PolicyTable } from '../../../domain/policy';
import type { Role } from '../../../domain/principal';
import type { DeadlineKind, EscalationRecord, IncidentState, IncidentTask, RegulatoryClock } from './state';

export interface Waiting {
  /** What is awaited: "acknowledgement", "the assessment", "task “Rotate keys”". */
  what: string;
  /** Who is expected to give it: API roles, the assigned person, the response automation. */
  whom: string;
  /** When a miss pages the next level; absent when nothing escalates it. */
  escalatesAt?: string;
  /** "level 2 (ciso)"; absent when nothing escalates it. */
  escalatesTo?: string;
  /** Its deadline has passed (a breach is recorded, or the due time is behind us). */
  overdue: boolean;
  /** What kind of thing waits, for ordering ties and for tests. */
  source: 'decision' | 'stage' | 'task' | 'regulatory' | 'close';
}

const ROLE_WORDS: Record<Role, string> = {
  integration: 'an integration',
  responder: 'a responder',
  manager: 'a manager',
  auditor: 'an auditor',
  admin: 'an admin',
};

/** "a responder or manager": who may make a decision, from the one table the API judges by. */
export function rolesWhoMay(decision: DecisionName): string {
  return joinRoles(DECISION_ROLES[decision]);
}

export function joinRoles(roles: readonly Role[]): string {
  if (roles.length === 0) return 'nobody';
  const [first, ...rest] = roles;
  return [ROLE_WORDS[first!], ...rest.map((r) => r)].join(' or ');
}

const DECISION_OF_DEADLINE: Partial<Record<DeadlineKind, { what: string; decision: DecisionName }>> = {
  acknowledge: { what: 'acknowledgement', decision: 'acknowledge' },
  assess: { what: 'the assessment', decision: 'assess' },
  approveContainment: { what: 'a containment approval', decision: 'approveContainment' },
  review: { what: 'the post-incident review', decision: 'recordReview' },
};

const STAGE_OF_DEADLINE: Partial<Record<DeadlineKind, string>> = {
  contain: 'containment to finish',
  forensics: 'forensic evidence collection to finish',
  patchVerify: 'patch verification',
};

const AUTOMATION = 'the response automation';

function targetsOf(record: EscalationRecord): string[] {
  return record.targets?.length ? record.targets : [record.target];
}

type EscalationView = Pick<IncidentState, 'severity' | 'escalationLevel' | 'escalationLoop' | 'escalations' | 'roles'>;

/**
 * The level the next page goes to and who it pages: from the severity's chain in `policy` when
 * given; otherwise the next level, with its targets when this incident has paged it before.
 */
export function nextEscalationLevel(state: EscalationView, policy?: PolicyTable): { level: number; label: string } {
  const severityPolicy = policy?.[state.severity];
  if (severityPolicy) {
    const step = nextEscalationStep(chainFor(severityPolicy), { level: state.escalationLevel, loop: state.escalationLoop ?? 0 });
    // Once the chain and its loops are spent, each page repeats the top and goes to the commander too.
    const commander = step.repeatAtTop ? state.roles?.commander?.person : undefined;
    return { level: step.level, label: `level ${step.level} (${step.targets.join(', ')}${commander ? `, commander ${commander}` : ''})` };
  }
  const pages = state.escalations ?? [];
  const last = pages[pages.length - 1];
  const level = last?.repeat && last.level === state.escalationLevel ? state.escalationLevel : state.escalationLevel + 1;
  const seen = [...pages].reverse().find((p) => p.level === level);
  return { level, label: seen ? `level ${level} (${targetsOf(seen).join(', ')})` : `level ${level}` };
}

/** Who the current level pages, when a page to it is on record. */
function pagedNow(state: Pick<IncidentState, 'escalationLevel' | 'escalations'>): string | undefined {
  const pages = state.escalations ?? [];
  const current = [...pages].reverse().find((p) => p.level === state.escalationLevel);
  return current ? targetsOf(current).join(', ') : undefined;
}

const isClosed = (state: IncidentState) => state.phase === 'closed' || state.phase === 'dismissed';

function breachedInPhase(state: IncidentState, kind: DeadlineKind): boolean {
  return (state.slaBreaches ?? []).some((b) => b.deadline === kind && b.phase === state.phase);
}

function shortDigest(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : digest;
  return `sha256:${hex.slice(0, 12)}…`;
}

function taskWhom(task: IncidentTask, state: IncidentState): string {
  if (task.kind === 'approval') return joinRoles(task.approvers ?? []);
  if (task.assignee) return task.assignee;
  if ('role' in task.owner) return ROLE_WORDS[task.owner.role];
  const holder = state.roles?.[task.owner.incidentRole]?.person;
  return holder ? `${holder} (${task.owner.incidentRole})` : `the incident's ${task.owner.incidentRole} (not assigned)`;
}

function clockWhat(clock: RegulatoryClock): string {
  return `the ${clock.regime} ${clock.stage} filing`;
}

/**
 * Everything the incident is waiting for, the one that escalates first first (those that escalate
 * nothing last). Empty once the incident is closed or dismissed.
 */
export function waitingList(state: IncidentState, now: Date, policy?: PolicyTable): Waiting[] {
  if (isClosed(state)) return [];
  const next = nextEscalationLevel(state, policy).label;
  const nowMs = now.getTime();
  const items: Waiting[] = [];
  const paged = pagedNow(state);
  const withPaged = (whom: string) => (paged ? `${whom} (${paged} paged)` : whom);

  const deadline = state.nextDeadline;
  if (deadline) {
    const decision = DECISION_OF_DEADLINE[deadline.kind];
    const overdue = breachedInPhase(state, deadline.kind) || Date.parse(deadline.dueAt) <= nowMs;
    if (decision) {
      let what = decision.what;
      if (deadline.kind === 'approveContainment' && state.response?.pendingPlanDigest) what += ` of plan ${shortDigest(state.response.pendingPlanDigest)}`;
      items.push({ what, whom: withPaged(rolesWhoMay(decision.decision)), escalatesAt: deadline.dueAt, escalatesTo: next, overdue, source: 'decision' });
    } else {
      items.push({ what: STAGE_OF_DEADLINE[deadline.kind] ?? deadline.kind, whom: AUTOMATION, escalatesAt: deadline.dueAt, escalatesTo: next, overdue, source: 'stage' });
    }
  } else if (state.phase === 'response' && state.response?.awaitingApproval) {
    // An approval awaited without a deadline (should not happen, but the form must still be found).
    items.push({ what: 'a containment approval', whom: rolesWhoMay('approveContainment'), overdue: false, source: 'decision' });
  }

  for (const stage of state.stageDeadlines ?? []) {
    if (deadline && stage.kind === deadline.kind) continue;
    const overdue = breachedInPhase(state, stage.kind) || Date.parse(stage.dueAt) <= nowMs;
    items.push({ what: STAGE_OF_DEADLINE[stage.kind] ?? stage.kind, whom: AUTOMATION, escalatesAt: stage.dueAt, escalatesTo: next, overdue, source: 'stage' });
  }

  for (const task of state.tasks ?? []) {
    if (task.status !== 'open') continue;
    const at = task.nextOverdueAt ?? task.dueAt;
    const overdue = Date.parse(task.dueAt) <= nowMs;
    const what = `${task.kind === 'approval' ? 'approval' : 'task'} “${task.title}”`;
    items.push({ what, whom: taskWhom(task, state), escalatesAt: at, escalatesTo: next, overdue, source: 'task' });
  }

  for (const clock of state.regulatoryClocks ?? []) {
    if (clock.filing || !clock.startedAt) continue;
    if (clock.missed) {
      // Missed once, paged once: it stays awaited, and escalates nothing more.
      items.push({ what: clockWhat(clock), whom: rolesWhoMay('recordFiling'), overdue: true, source: 'regulatory' });
      continue;
    }
    items.push({
      what: clockWhat(clock),
      whom: rolesWhoMay('recordFiling'),
      ...(clock.dueAt ? { escalatesAt: clock.dueAt, escalatesTo: next } : {}),
      overdue: clock.dueAt !== undefined && Date.parse(clock.dueAt) <= nowMs,
      source: 'regulatory',
    });
  }

  if (state.phase === 'review' && !items.some((i) => i.source === 'decision')) {
    items.push({ what: 'the close', whom: rolesWhoMay('close'), overdue: false, source: 'close' });
  }
  if (items.length === 0 && state.phase === 'response') {
    const stage = state.response?.current;
    items.push({ what: stage ? `the ${stage} stage to finish` : 'the response to go on', whom: AUTOMATION, overdue: false, source: 'stage' });
  }

  const order: Record<Waiting['source'], number> = { decision: 0, task: 1, regulatory: 2, stage: 3, close: 4 };
  return items.sort((a, b) => {
    const ta = a.escalatesAt ? Date.parse(a.escalatesAt) : Infinity;
    const tb = b.escalatesAt ? Date.parse(b.escalatesAt) : Infinity;
    return ta !== tb ? ta - tb : order[a.source] - order[b.source];
  });
}

/** The one thing to show first: what escalates soonest. Undefined when nothing is awaited. */
export function waitingFor(state: IncidentState, now: Date, policy?: PolicyTable): Waiting | undefined {
  return waitingList(state, now, policy)[0];
}

/** "Waiting for acknowledgement from a responder or manager; escalates to level 1 at 3 Dec, 17:40". */
export function waitingSentence(waiting: Waiting, formatTime: (iso: string) => string): string {
  const base = `Waiting for ${waiting.what} from ${waiting.whom}`;
  if (!waiting.escalatesAt || !waiting.escalatesTo) return `${base}; nothing escalates it`;
  return `${base}; escalates to ${waiting.escalatesTo} at ${formatTime(waiting.escalatesAt)}`;
}

/** When the incident next escalates if nothing is done: the queue's sort key. */
export function nextEscalationAt(state: IncidentState, now: Date): string | undefined {
  return waitingList(state, now).find((w) => w.escalatesAt)?.escalatesAt;
}

/** Whether anything the incident waits for is past its deadline. */
export function isOverdue(state: IncidentState, now: Date): boolean {
  return waitingList(state, now).some((w) => w.overdue);
}
