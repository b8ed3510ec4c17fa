import { mergeAssets, type Asset } from './asset';
import type { Assessment, Closure, ExternalAssistanceEngagement, ContainmentApproval, EscalationRequest, IncidentRole, Note, ReviewOutcome, RoleAssignment } from './decisions';
import { escalationTarget, TOP_ESCALATION_LEVEL, type DeadlineKind, type EscalationTarget, type PolicyTable } from './policy';
import type { Principal } from './principal';
import { severityLevel, type Severity } from './severity';
import type { ResponseStep } from './response-plan';
import type { Filing, RegulatoryClock } from './regulatory';

/** ISO/IEC 27035 phases as Firebreak names them. */
export const PHASES = ['detected', 'triage', 'response', 'review', 'closed', 'dismissed'] as const;
export type Phase = (typeof PHASES)[number];

export const isOpen = (state: IncidentState) => state.phase !== 'closed' && state.phase !== 'dismissed';

/** An alert as the workflow sees it: already validated and identified at the API edge. */
export interface AlertSummary {
  alertId: string;
  source: string;
  sourceRef: string;
  title: string;
  severity: Severity;
  receivedAt: string;
  assets: Asset[];
  /** Monitors report when the condition cleared; such an alert is recorded, nothing more. */
  status?: 'resolved';
}

export interface EscalationRecord {
  level: number;
  target: EscalationTarget;
  /** The deadline whose miss caused it, `manual` when a person escalated, `stageFailed` when an adapter refused, `regulatory` when a filing deadline passed. */
  cause: DeadlineKind | 'manual' | 'stageFailed' | 'regulatory';
  reason: string;
  at: string;
  by?: Principal;
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

/** Who did something and when: kept with every decision in the state. */
export interface Attribution {
  by: Principal;
  at: string;
}

export interface ContainmentOutcome {
  asset: Asset;
  action: string;
  status: 'done' | 'not_approved';
}

export interface PatchResult {
  asset: Asset;
  patched: boolean;
  checkedAt: string;
}

export interface ResponseProgress {
  completed: ResponseStep[];
  current?: ResponseStep;
  awaitingApproval: boolean;
  approval?: ContainmentApproval & Attribution;
  containment: ContainmentOutcome[];
  artifactsCollected: number;
  patchResults: PatchResult[];
  recovered: number;
}

export interface NoteRecord extends Attribution {
  text: string;
}

export interface IncidentState {
  incidentId: string;
  title: string;
  source: string;
  dedupKey: string;
  severity: Severity;
  category?: string;
  phase: Phase;
  openedAt: string;
  phaseEnteredAt: Partial<Record<Phase, string>>;
  alertCount: number;
  /** Of those, how many reported a condition that cleared. */
  resolvedAlertCount: number;
  /** The most recent alerts, newest last; all of them live in the alerts table. */
  recentAlerts: AlertSummary[];
  assets: Asset[];
  acknowledgedAt?: string;
  acknowledgedBy?: Principal;
  assessment?: Omit<Assessment, 'dismiss'> & Attribution;
  dismissal?: { reason: string } & Attribution;
  roles: Partial<Record<IncidentRole, { person: string } & Attribution>>;
  noteCount: number;
  recentNotes: NoteRecord[];
  response?: ResponseProgress;
  /** MTTC counts to here: every containment action has run (or was refused). */
  containedAt?: string;
  /** MTTR counts to here: recovery finished. */
  resolvedAt?: string;
  review?: ReviewOutcome & Attribution;
  reviewRemindersSent: number;
  closure?: Closure & Attribution;
  closedAt?: string;
  escalationLevel: number;
  escalations: EscalationRecord[];
  slaBreaches: SlaBreach[];
  nextDeadline?: PendingDeadline;
  /** Regulators' clocks (GDPR, NIS2, SEC, HIPAA, custom); absent on incidents from before they existed. */
  regulatoryClocks?: RegulatoryClock[];
  materiality?: { material: boolean; determinedAt: string; rationale: string } & Attribution;
  externalAssistance?: Array<ExternalAssistanceEngagement & Attribution>;
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
export const RECENT_NOTES_KEPT = 20;

const bump = (state: IncidentState, changes: Partial<IncidentState>): IncidentState => ({ ...state, ...changes, version: state.version + 1 });

/** The instant a deadline of the given kind falls due, counted from `from`. */
export function deadlineFor(policy: PolicyTable, severity: Severity, kind: DeadlineKind, from: Date): PendingDeadline {
  return { kind, dueAt: new Date(from.getTime() + policy[severity].deadlines[kind]).toISOString() };
}

/** The deadline that runs from the moment an incident enters a phase, if any. */
function phaseDeadline(policy: PolicyTable, severity: Severity, phase: Phase, now: Date): PendingDeadline | undefined {
  switch (phase) {
    case 'detected':
      return deadlineFor(policy, severity, 'acknowledge', now);
    case 'triage':
      return deadlineFor(policy, severity, 'assess', now);
    case 'review':
      return policy[severity].reviewRequired ? deadlineFor(policy, severity, 'review', now) : undefined;
    default:
      return undefined;
  }
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
    resolvedAlertCount: 0,
    recentAlerts: [],
    assets: [],
    roles: {},
    noteCount: 0,
    recentNotes: [],
    reviewRemindersSent: 0,
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
  const resolved = alert.status === 'resolved';
  return bump(state, {
    alertCount: state.alertCount + 1,
    resolvedAlertCount: state.resolvedAlertCount + (resolved ? 1 : 0),
    recentAlerts: [...state.recentAlerts, alert].slice(-RECENT_ALERTS_KEPT),
    assets: resolved ? state.assets : mergeAssets(state.assets, alert.assets),
  });
}

export function enterPhase(state: IncidentState, phase: Phase, policy: PolicyTable, now: Date): IncidentState {
  return bump(state, {
    phase,
    phaseEnteredAt: { ...state.phaseEnteredAt, [phase]: now.toISOString() },
    nextDeadline: phaseDeadline(policy, state.severity, phase, now),
  });
}

const notInPhase = (state: IncidentState, allowed: Phase, what: string) =>
  state.phase === allowed ? undefined : `incident ${state.incidentId} is in phase ${state.phase}; ${what} needs phase ${allowed}`;

const closedRejection = (state: IncidentState) => (isOpen(state) ? undefined : `incident ${state.incidentId} is ${state.phase}`);

// --- acknowledge -----------------------------------------------------------------------------

export function acknowledgeRejection(state: IncidentState): string | undefined {
  if (state.acknowledgedAt) {
    return `incident ${state.incidentId} was already acknowledged by ${state.acknowledgedBy?.name ?? 'someone'} at ${state.acknowledgedAt}`;
  }
  return notInPhase(state, 'detected', 'acknowledging');
}

export function acknowledge(state: IncidentState, by: Principal, policy: PolicyTable, now: Date): IncidentState {
  return enterPhase(bump(state, { acknowledgedAt: now.toISOString(), acknowledgedBy: by }), 'triage', policy, now);
}

// --- assessment ------------------------------------------------------------------------------

export function assessmentRejection(state: IncidentState): string | undefined {
  return notInPhase(state, 'triage', 'an assessment');
}

/** Confirms severity and category and picks the strategy; or dismisses a false positive. */
export function assess(state: IncidentState, assessment: Assessment, by: Principal, policy: PolicyTable, now: Date): IncidentState {
  const at = now.toISOString();
  const { dismiss, ...confirmed } = assessment;
  const assessed = bump(state, { severity: assessment.severity, category: assessment.category, assessment: { ...confirmed, by, at } });
  if (dismiss) return enterPhase(bump(assessed, { dismissal: { reason: dismiss.reason, by, at } }), 'dismissed', policy, now);
  const inResponse = enterPhase(assessed, 'response', policy, now);
  return bump(inResponse, {
    response: { completed: [], awaitingApproval: false, containment: [], artifactsCollected: 0, patchResults: [], recovered: 0 },
  });
}

// --- response --------------------------------------------------------------------------------

function progress(state: IncidentState): ResponseProgress {
  if (!state.response) throw new Error(`incident ${state.incidentId} has no response under way`);
  return state.response;
}

export function startStep(state: IncidentState, step: ResponseStep): IncidentState {
  return bump(state, { response: { ...progress(state), current: step } });
}

export function completeStep(state: IncidentState, step: ResponseStep): IncidentState {
  const p = progress(state);
  return bump(state, { response: { ...p, current: undefined, completed: [...p.completed, step] }, nextDeadline: undefined });
}

export function awaitContainmentApproval(state: IncidentState, policy: PolicyTable, now: Date): IncidentState {
  return bump(state, {
    response: { ...progress(state), awaitingApproval: true },
    nextDeadline: deadlineFor(policy, state.severity, 'approveContainment', now),
  });
}

export function containmentApprovalRejection(state: IncidentState): string | undefined {
  const phase = notInPhase(state, 'response', 'a containment approval');
  if (phase) return phase;
  if (state.response?.approval) {
    const a = state.response.approval;
    return `containment was already ${a.approved ? 'approved' : 'rejected'} by ${a.by.name} at ${a.at}`;
  }
  if (!state.response?.awaitingApproval) return `incident ${state.incidentId} is not waiting for a containment approval`;
  return undefined;
}

export function decideContainment(state: IncidentState, approval: ContainmentApproval, by: Principal, now: Date): IncidentState {
  return bump(state, {
    response: { ...progress(state), awaitingApproval: false, approval: { ...approval, by, at: now.toISOString() } },
    nextDeadline: undefined,
  });
}

/**
 * Containment is done: MTTC counts to now. Finishing after the severity's containment deadline
 * (counted from the start of the response) is an SLA breach.
 */
export function recordContainment(state: IncidentState, outcomes: ContainmentOutcome[], policy: PolicyTable, now: Date): IncidentState {
  const responseStart = new Date(state.phaseEnteredAt.response ?? now.toISOString());
  const due = deadlineFor(policy, state.severity, 'contain', responseStart);
  const late = now.getTime() > Date.parse(due.dueAt);
  return bump(state, {
    response: { ...progress(state), containment: outcomes },
    containedAt: now.toISOString(),
    slaBreaches: late ? [...state.slaBreaches, { deadline: 'contain', phase: 'response', dueAt: due.dueAt, detectedAt: now.toISOString() }] : state.slaBreaches,
  });
}

export function recordEvidence(state: IncidentState, artifacts: number): IncidentState {
  const p = progress(state);
  return bump(state, { response: { ...p, artifactsCollected: p.artifactsCollected + artifacts } });
}

export function startPatchVerification(state: IncidentState, policy: PolicyTable, now: Date): IncidentState {
  return bump(state, { nextDeadline: deadlineFor(policy, state.severity, 'patchVerify', now) });
}

export function recordPatchResults(state: IncidentState, results: PatchResult[]): IncidentState {
  return bump(state, { response: { ...progress(state), patchResults: results } });
}

export const allPatched = (state: IncidentState) =>
  state.assets.length === 0 || (state.response?.patchResults.length === state.assets.length && state.response.patchResults.every((r) => r.patched));

/** Recovery finished: MTTR counts to now, and the post-incident review begins. */
export function resolve(state: IncidentState, recovered: number, policy: PolicyTable, now: Date): IncidentState {
  const p = progress(state);
  const resolved = bump(state, {
    response: { ...p, recovered, current: undefined, completed: [...p.completed, 'recovery'] },
    resolvedAt: now.toISOString(),
  });
  return enterPhase(resolved, 'review', policy, now);
}

// --- review and closure ----------------------------------------------------------------------

export function reviewRejection(state: IncidentState): string | undefined {
  const phase = notInPhase(state, 'review', 'a review outcome');
  if (phase) return phase;
  if (state.review) return `the review was already recorded by ${state.review.by.name} at ${state.review.at}`;
  return undefined;
}

export function recordReview(state: IncidentState, outcome: ReviewOutcome, by: Principal, now: Date): IncidentState {
  return bump(state, { review: { ...outcome, by, at: now.toISOString() }, nextDeadline: undefined });
}

export function reviewReminderSent(state: IncidentState): IncidentState {
  return bump(state, { reviewRemindersSent: state.reviewRemindersSent + 1 });
}

export function closeRejection(state: IncidentState, policy: PolicyTable): string | undefined {
  const phase = notInPhase(state, 'review', 'closing');
  if (phase) return phase;
  if (policy[state.severity].reviewRequired && !state.review) {
    return `a ${severityLevel(state.severity)} incident needs a recorded post-incident review before it can be closed`;
  }
  if (policy[state.severity].externalAssistanceAtTop && state.escalationLevel >= TOP_ESCALATION_LEVEL && !state.externalAssistance?.length) {
    return `this ${severityLevel(state.severity)} incident reached the top of the escalation chain; record the external assistance engaged before closing`;
  }
  const open = (state.regulatoryClocks ?? []).filter((c) => !c.filing && !c.missed);
  if (open.length) return `regulatory filings still due: ${open.map((c) => `${c.regime} ${c.stage} by ${c.dueAt}`).join(', ')}`;
  return undefined;
}

export function close(state: IncidentState, closure: Closure, by: Principal, policy: PolicyTable, now: Date): IncidentState {
  const closed = enterPhase(bump(state, { closure: { ...closure, by, at: now.toISOString() }, closedAt: now.toISOString() }), 'closed', policy, now);
  return closed;
}

// --- roles, notes, escalations ---------------------------------------------------------------

export function roleAssignmentRejection(state: IncidentState): string | undefined {
  return closedRejection(state);
}

export function assignRole(state: IncidentState, assignment: RoleAssignment, by: Principal, now: Date): IncidentState {
  return bump(state, { roles: { ...state.roles, [assignment.role]: { person: assignment.person, by, at: now.toISOString() } } });
}

export function noteRejection(state: IncidentState): string | undefined {
  return closedRejection(state);
}

export function addNote(state: IncidentState, note: Note, by: Principal, now: Date): IncidentState {
  return bump(state, {
    noteCount: state.noteCount + 1,
    recentNotes: [...state.recentNotes, { text: note.text, by, at: now.toISOString() }].slice(-RECENT_NOTES_KEPT),
  });
}

export function manualEscalationRejection(state: IncidentState): string | undefined {
  const closed = closedRejection(state);
  if (closed) return closed;
  if (state.escalationLevel >= TOP_ESCALATION_LEVEL) return `incident ${state.incidentId} is already escalated to ${escalationTarget(TOP_ESCALATION_LEVEL)}`;
  return undefined;
}

export function escalateManually(state: IncidentState, request: EscalationRequest, by: Principal, now: Date): { state: IncidentState; escalation: EscalationRecord } {
  const level = state.escalationLevel + 1;
  const escalation: EscalationRecord = { level, target: escalationTarget(level), cause: 'manual', reason: request.reason, at: now.toISOString(), by };
  return { state: bump(state, { escalationLevel: level, escalations: [...state.escalations, escalation] }), escalation };
}

/**
 * A response stage failed for good (an adapter refused): the next level of the chain is told, so
 * people can fix the cause; the stage is retried later. At the top of the chain nothing changes.
 */
export function escalateForFailedStage(state: IncidentState, step: ResponseStep, message: string, now: Date): { state: IncidentState; escalation?: EscalationRecord } {
  if (state.escalationLevel >= TOP_ESCALATION_LEVEL) return { state };
  const level = state.escalationLevel + 1;
  const escalation: EscalationRecord = { level, target: escalationTarget(level), cause: 'stageFailed', reason: `${step} failed: ${message}`, at: now.toISOString() };
  return { state: bump(state, { escalationLevel: level, escalations: [...state.escalations, escalation] }), escalation };
}

/**
 * A missed deadline: the first miss of a deadline in a phase is an SLA breach; every miss moves
 * one level up the escalation chain, and the next miss falls one repeat interval later, until
 * the top of the chain. Returns the new state and the escalation to notify, if any.
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
    return { state: bump(state, { slaBreaches, nextDeadline: undefined }) };
  }
  const level = state.escalationLevel + 1;
  // Past the top of the chain nobody is left to page, so no further deadline is set.
  const nextDeadline =
    level >= TOP_ESCALATION_LEVEL
      ? undefined
      : { kind: missed.kind, dueAt: new Date(Date.parse(missed.dueAt) + policy[state.severity].escalationRepeat).toISOString() };
  const escalation: EscalationRecord = {
    level,
    target: escalationTarget(level),
    cause: missed.kind,
    reason: `${missed.kind} deadline ${missed.dueAt} passed in phase ${state.phase}`,
    at,
  };
  return { state: bump(state, { slaBreaches, escalationLevel: level, escalations: [...state.escalations, escalation], nextDeadline }), escalation };
}

// --- regulatory clocks -----------------------------------------------------------------------------

const clocksOf = (state: IncidentState) => state.regulatoryClocks ?? [];

export function regimeRejection(state: IncidentState, regime: string): string | undefined {
  const closed = closedRejection(state);
  if (closed) return closed;
  if (clocksOf(state).some((c) => c.regime === regime)) return `${regime} is already running on incident ${state.incidentId}`;
  return undefined;
}

/** Starts a regime's clocks (computed at the edge, where the regime's calendar lives). */
export function startClocks(state: IncidentState, clocks: RegulatoryClock[]): IncidentState {
  return bump(state, { regulatoryClocks: [...clocksOf(state), ...clocks] });
}

export function materialityRejection(state: IncidentState): string | undefined {
  const closed = closedRejection(state);
  if (closed) return closed;
  if (state.materiality) return `materiality was already determined by ${state.materiality.by.name} at ${state.materiality.determinedAt}`;
  return undefined;
}

export function determineMateriality(
  state: IncidentState,
  determination: { material: boolean; determinedAt: string; rationale: string },
  clocks: RegulatoryClock[],
  by: Principal,
  now: Date,
): IncidentState {
  const determined = bump(state, { materiality: { ...determination, by, at: now.toISOString() } });
  return determination.material ? startClocks(determined, clocks) : determined;
}

export function recordFiling(state: IncidentState, regime: string, stage: string, filing: Omit<Filing, 'late'>): IncidentState {
  return bump(state, {
    regulatoryClocks: clocksOf(state).map((c) =>
      c.regime === regime && c.stage === stage ? { ...c, filing: { ...filing, late: Date.parse(filing.filedAt) > Date.parse(c.dueAt) } } : c,
    ),
  });
}

export function clockReminderSent(state: IncidentState, index: number): IncidentState {
  return bump(state, { regulatoryClocks: clocksOf(state).map((c, i) => (i === index ? { ...c, remindersSent: c.remindersSent + 1 } : c)) });
}

/** A filing deadline passed unfiled: recorded on the clock, and one level up the chain is told. */
export function clockMissed(state: IncidentState, index: number, now: Date): { state: IncidentState; escalation?: EscalationRecord } {
  const clock = clocksOf(state)[index];
  if (!clock) return { state };
  const marked = bump(state, { regulatoryClocks: clocksOf(state).map((c, i) => (i === index ? { ...c, missed: true } : c)) });
  if (state.escalationLevel >= TOP_ESCALATION_LEVEL) return { state: marked };
  const level = state.escalationLevel + 1;
  const escalation: EscalationRecord = {
    level,
    target: escalationTarget(level),
    cause: 'regulatory',
    reason: `${clock.regime} ${clock.stage} was due ${clock.dueAt} and is not filed`,
    at: now.toISOString(),
  };
  return { state: bump(marked, { escalationLevel: level, escalations: [...marked.escalations, escalation] }), escalation };
}

export function engagementRejection(state: IncidentState): string | undefined {
  return closedRejection(state);
}

export function engageExternalAssistance(state: IncidentState, engagement: ExternalAssistanceEngagement, by: Principal, now: Date): IncidentState {
  return bump(state, { externalAssistance: [...(state.externalAssistance ?? []), { ...engagement, by, at: now.toISOString() }] });
}
