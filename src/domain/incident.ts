import { escalationTarget, TOP_ESCALATION_LEVEL, type DeadlineKind, type EscalationTarget, type PolicyTable } from './policy';
import type { Principal } from './principal';
import type { Severity } from './severity';

/** ISO/IEC 27035 phases as Firebreak names them. */
export const PHASES = ['detected', 'triage', 'response', 'review', 'closed', 'dismissed'] as const;
export type Phase = (typeof PHASES)[number];

/** An alert as the workflow sees it: already validated and identified at the API edge. */
export interface AlertSummary {
  alertId: string;
  source: string;
  sourceRef: string;
  title: string;
  severity: Severity;
  receivedAt: string;
}

export interface EscalationRecord {
  level: number;
  target: EscalationTarget;
  /** The deadline whose miss caused it, or `manual` when a person escalated. */
  cause: DeadlineKind | 'manual';
  reason: string;
  at: string;
}

export interface SlaBreach {
  deadline: DeadlineKind;
  phase: Phase;
  dueAt: string;
  detectedAt: string;
}

export interface PendingDeadline {
  kind: DeadlineKind;
  dueAt: string;
}

export interface IncidentState {
  incidentId: string;
  title: string;
  source: string;
  dedupKey: string;
  severity: Severity;
  phase: Phase;
  openedAt: string;
  phaseEnteredAt: Partial<Record<Phase, string>>;
  alertCount: number;
  /** The most recent alerts, newest last; older ones live in the alerts table. */
  recentAlerts: AlertSummary[];
  acknowledgedAt?: string;
  acknowledgedBy?: Principal;
  escalationLevel: number;
  escalations: EscalationRecord[];
  slaBreaches: SlaBreach[];
  nextDeadline?: PendingDeadline;
  /** Bumped on every change, so the read model keeps only the newest snapshot. */
  version: number;
}

export interface OpenIncidentInput {
  incidentId: string;
  dedupKey: string;
  title: string;
  source: string;
  severity: Severity;
}

export const RECENT_ALERTS_KEPT = 20;

/** The deadline that runs from the moment an incident enters each phase. */
export const PHASE_DEADLINE: Partial<Record<Phase, DeadlineKind>> = {
  detected: 'acknowledge',
  triage: 'assess',
};

/** The instant a deadline of the given kind falls due, counted from `from`. */
export function deadlineFor(policy: PolicyTable, severity: Severity, kind: DeadlineKind, from: Date): PendingDeadline {
  return { kind, dueAt: new Date(from.getTime() + policy[severity].deadlines[kind]).toISOString() };
}

function phaseDeadline(policy: PolicyTable, severity: Severity, phase: Phase, now: Date): PendingDeadline | undefined {
  const kind = PHASE_DEADLINE[phase];
  return kind ? deadlineFor(policy, severity, kind, now) : undefined;
}

export function openIncident(input: OpenIncidentInput, policy: PolicyTable, now: Date): IncidentState {
  const at = now.toISOString();
  return {
    incidentId: input.incidentId,
    title: input.title,
    source: input.source,
    dedupKey: input.dedupKey,
    severity: input.severity,
    phase: 'detected',
    openedAt: at,
    phaseEnteredAt: { detected: at },
    alertCount: 0,
    recentAlerts: [],
    escalationLevel: 0,
    escalations: [],
    slaBreaches: [],
    nextDeadline: phaseDeadline(policy, input.severity, 'detected', now),
    version: 1,
  };
}

/** Attaches a correlated alert; an alert id seen among the recent ones is not counted twice. */
export function recordAlert(state: IncidentState, alert: AlertSummary): IncidentState {
  if (state.recentAlerts.some((a) => a.alertId === alert.alertId)) return state;
  return {
    ...state,
    alertCount: state.alertCount + 1,
    recentAlerts: [...state.recentAlerts, alert].slice(-RECENT_ALERTS_KEPT),
    version: state.version + 1,
  };
}

export function enterPhase(state: IncidentState, phase: Phase, policy: PolicyTable, now: Date): IncidentState {
  return {
    ...state,
    phase,
    phaseEnteredAt: { ...state.phaseEnteredAt, [phase]: now.toISOString() },
    nextDeadline: phaseDeadline(policy, state.severity, phase, now),
    version: state.version + 1,
  };
}

/** Why an acknowledgement cannot be applied now, or undefined when it can. */
export function acknowledgeRejection(state: IncidentState): string | undefined {
  if (state.acknowledgedAt) {
    return `incident ${state.incidentId} was already acknowledged by ${state.acknowledgedBy?.name ?? 'someone'} at ${state.acknowledgedAt}`;
  }
  if (state.phase !== 'detected') {
    return `incident ${state.incidentId} is in phase ${state.phase}; only a detected incident can be acknowledged`;
  }
  return undefined;
}

export function acknowledge(state: IncidentState, by: Principal, policy: PolicyTable, now: Date): IncidentState {
  const acknowledged = { ...state, acknowledgedAt: now.toISOString(), acknowledgedBy: by };
  return enterPhase(acknowledged, 'triage', policy, now);
}

/**
 * A missed deadline: the first miss of a deadline is an SLA breach; every miss moves one level
 * up the escalation chain, and the next miss falls one repeat interval later, until the top of the
 * chain. Returns the new state and the escalation to notify, if any.
 */
export function escalateForMissedDeadline(
  state: IncidentState,
  missed: PendingDeadline,
  policy: PolicyTable,
  now: Date,
): { state: IncidentState; escalation?: EscalationRecord } {
  const at = now.toISOString();
  const alreadyBreached = state.slaBreaches.some((b) => b.deadline === missed.kind && b.phase === state.phase);
  const slaBreaches = alreadyBreached
    ? state.slaBreaches
    : [...state.slaBreaches, { deadline: missed.kind, phase: state.phase, dueAt: missed.dueAt, detectedAt: at }];
  if (state.escalationLevel >= TOP_ESCALATION_LEVEL) {
    return { state: { ...state, slaBreaches, nextDeadline: undefined, version: state.version + 1 } };
  }
  const level = state.escalationLevel + 1;
  // Past the top of the chain nobody is left to page, so no further deadline is set.
  const nextDeadline =
    level >= TOP_ESCALATION_LEVEL ? undefined : { kind: missed.kind, dueAt: new Date(Date.parse(missed.dueAt) + policy[state.severity].escalationRepeat).toISOString() };
  const escalation: EscalationRecord = {
    level,
    target: escalationTarget(level),
    cause: missed.kind,
    reason: `${missed.kind} deadline ${missed.dueAt} passed in phase ${state.phase}`,
    at,
  };
  return {
    state: {
      ...state,
      slaBreaches,
      escalationLevel: level,
      escalations: [...state.escalations, escalation],
      nextDeadline,
      version: state.version + 1,
    },
    escalation,
  };
}
