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

export function openIncident(input: OpenIncidentInput, now: Date): IncidentState {
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

export function enterPhase(state: IncidentState, phase: Phase, now: Date): IncidentState {
  return {
    ...state,
    phase,
    phaseEnteredAt: { ...state.phaseEnteredAt, [phase]: now.toISOString() },
    nextDeadline: undefined,
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

export function acknowledge(state: IncidentState, by: Principal, now: Date): IncidentState {
  const acknowledged = { ...state, acknowledgedAt: now.toISOString(), acknowledgedBy: by };
  return enterPhase(acknowledged, 'triage', now);
}

/** The instant a deadline of the given kind falls due, counted from `from`. */
export function deadlineFor(policy: PolicyTable, state: IncidentState, kind: DeadlineKind, from: Date): PendingDeadline {
  const ms = policy[state.severity].deadlines[kind];
  return { kind, dueAt: new Date(from.getTime() + ms).toISOString() };
}

export function withDeadline(state: IncidentState, deadline: PendingDeadline | undefined): IncidentState {
  return { ...state, nextDeadline: deadline, version: state.version + 1 };
}

/**
 * A missed deadline: the first miss of a deadline is an SLA breach; every miss moves one level
 * up the escalation chain until its top. Returns the new state and the escalation to notify, if any.
 */
export function escalateForMissedDeadline(
  state: IncidentState,
  missed: PendingDeadline,
  now: Date,
): { state: IncidentState; escalation?: EscalationRecord } {
  const at = now.toISOString();
  const alreadyBreached = state.slaBreaches.some((b) => b.deadline === missed.kind && b.phase === state.phase);
  const slaBreaches = alreadyBreached
    ? state.slaBreaches
    : [...state.slaBreaches, { deadline: missed.kind, phase: state.phase, dueAt: missed.dueAt, detectedAt: at }];
  if (state.escalationLevel >= TOP_ESCALATION_LEVEL) {
    return { state: { ...state, slaBreaches, version: state.version + 1 } };
  }
  const level = state.escalationLevel + 1;
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
      version: state.version + 1,
    },
    escalation,
  };
}

export function isAtTopOfChain(state: IncidentState): boolean {
  return state.escalationLevel >= TOP_ESCALATION_LEVEL;
}
