import { mergeAssets, type Asset } from './asset';
import { isOpenPhase, type Phase } from './phase';
import type { ChainHead } from './audit-chain';
import type { Assessment, Closure, ExternalAssistanceEngagement, ContainmentApproval, EscalationRequest, IncidentRole, Note, ReviewOutcome, RoleAssignment } from './decisions';
import { nextEscalationStep, topLevel, type EscalationStep, type EscalationTarget } from './escalation';
import { chainFor, deadlineMs, type DeadlineKind, type PolicyTable } from './policy';
import { applyRejection, replacePlaybook, startRun, type PinnedPlaybook, type PlaybookRun } from './playbook-run';
import type { Principal } from './principal';
import {
  addAdHocTask,
  commentOnTask,
  commentRejection,
  completeTask,
  completionRejection,
  findTask,
  reassignmentRejection,
  reassignTask,
  skipRejection,
  skipTask,
  taskOverduePaged,
  taskReminderSent,
  type AdHocTask,
  type IncidentTask,
  type RoleHolders,
  type TaskComment,
  type TaskCompletion,
  type TaskReassignment,
  type TaskSkip,
} from './task';
import { severityLevel, type Severity } from './severity';
import type { ResponseStep } from './response-plan';
import { pendingPlanDigest, planChangedRejection } from './containment-plan-digest';
import { dueText, fileClock, type Filing, type RegulatoryClock } from './regulatory';
import {
  mergeObservables,
  newRelations,
  observableAdditionRejection,
  type IncidentRelation,
  type ObservableRecord,
  type ObservableRef,
  type RelatedIncidentNotice,
} from './observable-record';

export { PHASES, type Phase } from './phase';

export const isOpen = (state: IncidentState) => isOpenPhase(state.phase);

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
  /** Its observables, normalised and without duplicates; merged into the incident's, not kept on the alert. */
  observables?: ObservableRef[];
  /** The monitor's labels (Alertmanager: alertname, instance, job, …), shown on the alert. */
  labels?: Record<string, string>;
  /** The API key that reported it (absent on alerts from before keys were kept). */
  keyId?: string;
}

export interface EscalationRecord {
  level: number;
  /** The level's first target (incidents from before multi-target levels had only this). */
  target: EscalationTarget;
  /** The deadline whose miss caused it, `manual` when a person escalated, `stageFailed` when an adapter refused, `regulatory` when a filing deadline passed, `task` when a task or approval gate is overdue, `followUp` when a closed incident's action item is. */
  cause: DeadlineKind | 'manual' | 'stageFailed' | 'regulatory' | 'task' | 'followUp';
  reason: string;
  at: string;
  by?: Principal;
  /** Every target the level pages. The fields from here on are absent on escalations from before 0.3.0. */
  targets?: EscalationTarget[];
  /** The pass over the chain, 0 on the first. */
  loop?: number;
  /** This escalation's number within the incident, 1, 2, 3…: a repeated page is a new page. */
  page?: number;
  /** The chain is exhausted: the top is paged again. */
  repeat?: true;
  /** The incident commander, paged beside the top on every repeat. */
  commander?: string;
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
  /** While a containment approval is awaited: the digest of the plan it would approve (absent before 0.5.0). */
  pendingPlanDigest?: string;
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
  assessment?: Omit<Assessment, 'dismiss' | 'playbook'> & Attribution;
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
  /** Completed passes over the escalation chain (absent before 0.3.0: 0). */
  escalationLoop?: number;
  escalations: EscalationRecord[];
  slaBreaches: SlaBreach[];
  nextDeadline?: PendingDeadline;
  /**
   * SLAs on stages while they run (containment done, forensics collected), beside the decision
   * deadline in `nextDeadline`; each fires at its due time even while its stage is still running.
   * Absent on incidents whose response started before 0.3.0.
   */
  stageDeadlines?: PendingDeadline[];
  /** Regulators' clocks (GDPR, NIS2, SEC, HIPAA, custom); absent on incidents from before they existed. */
  regulatoryClocks?: RegulatoryClock[];
  materiality?: { material: boolean; determinedAt: string; rationale: string } & Attribution;
  externalAssistance?: Array<ExternalAssistanceEngagement & Attribution>;
  /** Observables from alerts and analysts, one per kind and value (absent before any arrived). */
  observables?: readonly ObservableRecord[];
  /** Other incidents that saw one of this incident's observables while open (absent before the first). */
  relatedIncidents?: IncidentRelation[];
  /** The playbook the response runs and how far each step got (absent on the built-in plans). */
  playbookRun?: PlaybookRun;
  /** Human tasks and approval gates, from the playbook and added by hand (absent before the first). */
  tasks?: IncidentTask[];
  /**
   * The audit chain's head after the latest publish, as the publish returned it: a second store of
   * it, apart from PostgreSQL, that verification checks the chain against (absent before 0.5.0).
   */
  auditHead?: ChainHead;
  /** Bumped on every change, so the read model keeps only the newest snapshot. */
  version: number;
}

/**
 * The state holding the chain head a publish returned. Not a change of the incident (the version
 * stays); an older head (a publish that overtook another, before they ran in order) is ignored.
 */
export function withAuditHead(state: IncidentState, head: ChainHead | undefined): IncidentState {
  if (!head || head.seq === 0 || (state.auditHead && state.auditHead.seq >= head.seq)) return state;
  return { ...state, auditHead: { seq: head.seq, hash: head.hash } };
}

export interface OpenIncidentInput {
  incidentId: string;
  dedupKey: string;
  title: string;
  source: string;
  severity: Severity;
}

export const RECENT_ALERTS_KEPT = 20;
/**
 * How many of the latest alert ids a run hands to the next: an intake retry lands within seconds,
 * far fewer alerts than this even in a storm.
 */
export const ALERT_IDS_CARRIED = 1_000;
export const RECENT_NOTES_KEPT = 20;

const bump = (state: IncidentState, changes: Partial<IncidentState>): IncidentState => ({ ...state, ...changes, version: state.version + 1 });

/** The instant a deadline of the given kind falls due, counted from `from`. */
export function deadlineFor(policy: PolicyTable, severity: Severity, kind: DeadlineKind, from: Date): PendingDeadline {
  return { kind, dueAt: new Date(from.getTime() + deadlineMs(policy, severity, kind)).toISOString() };
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
  // The observables live on the incident (and in their table), so the recent alerts stay small.
  const { observables, ...shown } = alert;
  const merged = observables?.length ? mergeObservables(state.observables ?? [], observables, { at: alert.receivedAt, alertId: alert.alertId }) : state.observables;
  const assets = resolved ? state.assets : mergeAssets(state.assets, alert.assets);
  return bump(state, {
    alertCount: state.alertCount + 1,
    resolvedAlertCount: state.resolvedAlertCount + (resolved ? 1 : 0),
    recentAlerts: [...state.recentAlerts, shown].slice(-RECENT_ALERTS_KEPT),
    assets,
    ...(merged !== state.observables ? { observables: merged } : {}),
    // A new asset changes the containment plan waiting for approval: the digest shown follows it.
    ...(state.response?.awaitingApproval && assets !== state.assets ? { response: { ...state.response, pendingPlanDigest: pendingPlanDigest(assets) } } : {}),
  });
}

// --- observables -----------------------------------------------------------------------------

export function observableRejection(state: IncidentState, addition: ObservableRef): string | undefined {
  return closedRejection(state) ?? observableAdditionRejection(state.observables ?? [], addition, state.incidentId);
}

/** An analyst adds an observable (already normalised at the API). */
export function addObservable(state: IncidentState, addition: ObservableRef, by: Principal, now: Date): IncidentState {
  const observables = mergeObservables(state.observables ?? [], [{ kind: addition.kind, value: addition.value, tlp: addition.tlp }], { at: now.toISOString(), addedBy: by.name });
  return bump(state, { observables });
}

/** Another open incident shares observables with this one; returns the relations that are new. */
export function relateIncident(state: IncidentState, notice: RelatedIncidentNotice): { state: IncidentState; added: IncidentRelation[] } {
  if (notice.incidentId === state.incidentId) return { state, added: [] };
  const added = newRelations(state.relatedIncidents ?? [], notice);
  if (added.length === 0) return { state, added };
  return { state: bump(state, { relatedIncidents: [...(state.relatedIncidents ?? []), ...added] }), added };
}

export function enterPhase(state: IncidentState, phase: Phase, policy: PolicyTable, now: Date): IncidentState {
  return bump(state, {
    phase,
    phaseEnteredAt: { ...state.phaseEnteredAt, [phase]: now.toISOString() },
    nextDeadline: phaseDeadline(policy, state.severity, phase, now),
    // Stage SLAs only run during the response.
    ...(state.stageDeadlines?.length && phase !== 'response' ? { stageDeadlines: [] } : {}),
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
  const { dismiss, playbook, ...confirmed } = assessment;
  const assessed = bump(state, { severity: assessment.severity, category: assessment.category, assessment: { ...confirmed, by, at } });
  if (dismiss) return enterPhase(bump(assessed, { dismissal: { reason: dismiss.reason, by, at } }), 'dismissed', policy, now);
  const inResponse = enterPhase(assessed, 'response', policy, now);
  return bump(inResponse, {
    response: { completed: [], awaitingApproval: false, containment: [], artifactsCollected: 0, patchResults: [], recovered: 0 },
    // The pinned playbook lives in the run, once; the assessment keeps the strategy it names.
    ...(playbook ? { playbookRun: startRun(playbook) } : {}),
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

/** A playbook's step finished a stage: it is listed once among the completed, whatever else is running. */
export function completeStage(state: IncidentState, step: ResponseStep): IncidentState {
  const p = progress(state);
  return p.completed.includes(step) ? state : bump(state, { response: { ...p, completed: [...p.completed, step] } });
}

export function awaitContainmentApproval(state: IncidentState, policy: PolicyTable, now: Date): IncidentState {
  return bump(state, {
    response: { ...progress(state), awaitingApproval: true, pendingPlanDigest: pendingPlanDigest(state.assets) },
    nextDeadline: deadlineFor(policy, state.severity, 'approveContainment', now),
  });
}

/** Nobody waits for the containment decision any more: the playbook step that asked was replaced. */
export function withdrawContainmentRequest(state: IncidentState): IncidentState {
  const p = progress(state);
  if (!p.awaitingApproval) return state;
  const { pendingPlanDigest: _withdrawn, ...rest } = p;
  return bump(state, {
    response: { ...rest, awaitingApproval: false },
    ...(state.nextDeadline?.kind === 'approveContainment' ? { nextDeadline: undefined } : {}),
  });
}

/** `approval` carries the digest of the plan the manager saw, if they sent it: refused once the plan changed. */
export function containmentApprovalRejection(state: IncidentState, approval?: ContainmentApproval): string | undefined {
  const phase = notInPhase(state, 'response', 'a containment approval');
  if (phase) return phase;
  if (state.response?.approval) {
    const a = state.response.approval;
    return `containment was already ${a.approved ? 'approved' : 'rejected'} by ${a.by.name} at ${a.at}`;
  }
  if (!state.response?.awaitingApproval) return `incident ${state.incidentId} is not waiting for a containment approval`;
  return planChangedRejection(state.assets, approval?.planDigest);
}

function withoutPending(p: ResponseProgress): ResponseProgress {
  const { pendingPlanDigest: _decided, ...rest } = p;
  return rest;
}

export function decideContainment(state: IncidentState, approval: ContainmentApproval, by: Principal, now: Date): IncidentState {
  return bump(state, {
    // The approval names the plan it approved, whether or not the manager sent its digest.
    response: { ...withoutPending(progress(state)), awaitingApproval: false, approval: { ...approval, planDigest: approval.planDigest ?? pendingPlanDigest(state.assets), by, at: now.toISOString() } },
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
  // The stage SLA's timer has recorded the breach already when it fired while containment ran.
  const late = now.getTime() > Date.parse(due.dueAt);
  return bump(state, {
    response: { ...progress(state), containment: outcomes },
    containedAt: now.toISOString(),
    slaBreaches: late ? withBreach(state, 'contain', due.dueAt, now) : state.slaBreaches,
    ...stopStageDeadline(state, 'contain'),
  });
}

export function recordEvidence(state: IncidentState, artifacts: number): IncidentState {
  const p = progress(state);
  return bump(state, { response: { ...p, artifactsCollected: p.artifactsCollected + artifacts }, ...stopStageDeadline(state, 'forensics') });
}

// --- stage SLAs ----------------------------------------------------------------------------------

const STAGE_SLAS = ['contain', 'forensics'] as const satisfies readonly DeadlineKind[];

const breached = (state: IncidentState, kind: DeadlineKind) => state.slaBreaches.some((b) => b.deadline === kind && b.phase === state.phase);

/** The SLA breaches with this miss recorded: once per deadline and phase, however often it is missed. */
function withBreach(state: IncidentState, kind: DeadlineKind, dueAt: string, now: Date): SlaBreach[] {
  return breached(state, kind) ? state.slaBreaches : [...state.slaBreaches, { deadline: kind, phase: state.phase, dueAt, detectedAt: now.toISOString() }];
}

function stopStageDeadline(state: IncidentState, kind: DeadlineKind): Partial<IncidentState> {
  return state.stageDeadlines?.some((d) => d.kind === kind) ? { stageDeadlines: state.stageDeadlines.filter((d) => d.kind !== kind) } : {};
}

/** The response has begun: containment and forensics must be done within their SLAs, counted from now. */
export function armStageDeadlines(state: IncidentState, policy: PolicyTable): IncidentState {
  const start = new Date(state.phaseEnteredAt.response ?? state.openedAt);
  return bump(state, { stageDeadlines: STAGE_SLAS.map((kind) => deadlineFor(policy, state.severity, kind, start)) });
}

/** The stage SLA that falls due first, if any is running. */
export function nextStageDeadline(state: IncidentState): PendingDeadline | undefined {
  return [...(state.stageDeadlines ?? [])].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
}

/** A running stage passed its SLA: one breach, an escalation, and the next page one repeat interval on. */
export function stageDeadlineMissed(state: IncidentState, missed: PendingDeadline, policy: PolicyTable, now: Date): { state: IncidentState; escalation?: EscalationRecord } {
  const { state: escalated, escalation, next } = missDeadline(state, missed, `${missed.kind} SLA ${missed.dueAt} passed while the stage is still running`, policy, now);
  return {
    state: bump(escalated, { stageDeadlines: (escalated.stageDeadlines ?? []).map((d) => (d.kind === missed.kind ? next : d)) }),
    ...(escalation ? { escalation } : {}),
  };
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
  if (policy[state.severity].externalAssistanceAtTop && reachedTop(state, policy) && !state.externalAssistance?.length) {
    return `this ${severityLevel(state.severity)} incident reached the top of the escalation chain; record the external assistance engaged before closing`;
  }
  const open = (state.regulatoryClocks ?? []).filter((c) => !c.filing && !c.missed);
  if (open.length) return `regulatory filings still due: ${open.map((c) => `${c.regime} ${c.stage} ${dueText(c)}`).join(', ')}`;
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

/** Whether the incident has ever been escalated to the top of its chain (loops may have brought it down since). */
function reachedTop(state: IncidentState, policy: PolicyTable): boolean {
  const top = topLevel(chainFor(policy[state.severity]));
  return state.escalationLevel >= top || state.escalations.some((e) => e.level >= top);
}

/**
 * Incidents started before 0.3.0 replay with their old rule: at the top of the chain a further
 * miss pages nobody. The workflow passes `legacy` for them (see its `patched` gate).
 */
export interface EscalationRule {
  legacy: boolean;
}

/** One step up the severity's chain, whatever the cause; see `nextEscalationStep` for the rule. */
/**
 * A page that tells rather than escalates: the first page of the first pass as the incident opens,
 * and the request for a containment approval. Everything else is an escalation.
 */
export const isNotice = (page: EscalationRecord): boolean => (page.level === 0 && !page.loop) || page.cause === 'approveContainment';

/**
 * The record of one page up the chain: where the step lands, why, and its number. Past the top
 * (the chain used up) the commander is paged beside the top level.
 */
export function pageFor(
  step: EscalationStep,
  page: { cause: EscalationRecord['cause']; reason: string; at: Date; page: number; commander?: string | undefined; by?: Principal },
): EscalationRecord {
  const commander = step.repeatAtTop ? page.commander : undefined;
  return {
    level: step.level,
    target: step.targets[0]!,
    cause: page.cause,
    reason: page.reason,
    at: page.at.toISOString(),
    ...(page.by ? { by: page.by } : {}),
    targets: step.targets,
    loop: step.loop,
    page: page.page,
    ...(step.repeatAtTop ? { repeat: true as const } : {}),
    ...(commander ? { commander } : {}),
  };
}

function escalate(
  state: IncidentState,
  cause: EscalationRecord['cause'],
  reason: string,
  policy: PolicyTable,
  now: Date,
  rule: EscalationRule,
  by?: Principal,
): { state: IncidentState; escalation?: EscalationRecord } {
  const chain = chainFor(policy[state.severity]);
  if (rule.legacy && state.escalationLevel >= topLevel(chain)) return { state };
  const step = nextEscalationStep(chain, { level: state.escalationLevel, loop: state.escalationLoop ?? 0 });
  const escalation: EscalationRecord = rule.legacy
    ? { level: step.level, target: step.targets[0]!, cause, reason, at: now.toISOString(), ...(by ? { by } : {}) }
    : pageFor(step, { cause, reason, at: now, page: state.escalations.length + 1, commander: state.roles.commander?.person, ...(by ? { by } : {}) });
  return {
    state: bump(state, { escalationLevel: step.level, ...(rule.legacy ? {} : { escalationLoop: step.loop }), escalations: [...state.escalations, escalation] }),
    escalation,
  };
}

export function manualEscalationRejection(state: IncidentState, policy: PolicyTable): string | undefined {
  const closed = closedRejection(state);
  if (closed) return closed;
  const chain = chainFor(policy[state.severity]);
  if (state.escalationLevel >= topLevel(chain)) return `incident ${state.incidentId} is already escalated to the top of its chain (${chain.levels[topLevel(chain)]!.join(', ')})`;
  return undefined;
}

export function escalateManually(state: IncidentState, request: EscalationRequest, by: Principal, policy: PolicyTable, now: Date): { state: IncidentState; escalation: EscalationRecord } {
  const escalated = escalate(state, 'manual', request.reason, policy, now, { legacy: false }, by);
  if (!escalated.escalation) throw new Error(`incident ${state.incidentId} cannot be escalated further`);
  return { state: escalated.state, escalation: escalated.escalation };
}

/**
 * A response stage failed for good (an adapter refused): the next level of the chain is told, so
 * people can fix the cause; the stage is retried later.
 */
export function escalateForFailedStage(
  state: IncidentState,
  step: ResponseStep | string,
  message: string,
  policy: PolicyTable,
  now: Date,
  rule: EscalationRule,
): { state: IncidentState; escalation?: EscalationRecord } {
  return escalate(state, 'stageFailed', `${step} failed: ${message}`, policy, now, rule);
}

/** The first miss of a deadline in a phase is an SLA breach; every miss escalates. Also returns when it falls due again. */
function missDeadline(
  state: IncidentState,
  missed: PendingDeadline,
  reason: string,
  policy: PolicyTable,
  now: Date,
): { state: IncidentState; escalation?: EscalationRecord; next: PendingDeadline } {
  const breachedNow = bump(state, { slaBreaches: withBreach(state, missed.kind, missed.dueAt, now) });
  const escalated = escalate(breachedNow, missed.kind, reason, policy, now, { legacy: false });
  // On the repeat grid counted from the miss; from now when that slot has passed already (the
  // timer fired late because no worker ran): a backlog of slots is one page, not a burst.
  const repeat = policy[state.severity].escalationRepeat;
  const onGrid = Date.parse(missed.dueAt) + repeat;
  const next = { kind: missed.kind, dueAt: new Date(onGrid > now.getTime() ? onGrid : now.getTime() + repeat).toISOString() };
  return { ...escalated, next };
}

/**
 * A missed deadline: the first miss of a deadline in a phase is an SLA breach; every miss pages
 * one step further along the chain, and the next miss falls one repeat interval later, until the
 * decision arrives. Returns the new state and the escalation to notify, if any.
 */
export function escalateForMissedDeadline(
  state: IncidentState,
  missed: PendingDeadline,
  policy: PolicyTable,
  now: Date,
  rule: EscalationRule,
): { state: IncidentState; escalation?: EscalationRecord } {
  const reason = `${missed.kind} deadline ${missed.dueAt} passed in phase ${state.phase}`;
  if (rule.legacy) return legacyMissedDeadline(state, missed, reason, policy, now);
  const { state: escalated, escalation, next } = missDeadline(state, missed, reason, policy, now);
  return { state: bump(escalated, { nextDeadline: next }), ...(escalation ? { escalation } : {}) };
}

/** The rule before 0.3.0, kept for incidents that replay under it: past the top, no further deadline. */
function legacyMissedDeadline(state: IncidentState, missed: PendingDeadline, reason: string, policy: PolicyTable, now: Date): { state: IncidentState; escalation?: EscalationRecord } {
  const slaBreaches = withBreach(state, missed.kind, missed.dueAt, now);
  const top = topLevel(chainFor(policy[state.severity]));
  if (state.escalationLevel >= top) return { state: bump(state, { slaBreaches, nextDeadline: undefined }) };
  const { state: escalated, escalation } = escalate(bump(state, { slaBreaches }), missed.kind, reason, policy, now, { legacy: true });
  const nextDeadline =
    escalated.escalationLevel >= top ? undefined : { kind: missed.kind, dueAt: new Date(Date.parse(missed.dueAt) + policy[state.severity].escalationRepeat).toISOString() };
  return { state: bump(escalated, { nextDeadline }), ...(escalation ? { escalation } : {}) };
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

/** A filing recorded at `now`; clocks that count from it (NIS2's final report) start. */
export function recordFiling(state: IncidentState, regime: string, stage: string, filing: Omit<Filing, 'late' | 'recordedAt' | 'recordedAfterDeadline'>, now: Date): IncidentState {
  return bump(state, { regulatoryClocks: fileClock(clocksOf(state), regime, stage, filing, now) });
}

export function clockReminderSent(state: IncidentState, index: number): IncidentState {
  return bump(state, { regulatoryClocks: clocksOf(state).map((c, i) => (i === index ? { ...c, remindersSent: c.remindersSent + 1 } : c)) });
}

/** A filing deadline passed unfiled: recorded on the clock, and the next step of the chain is paged. */
export function clockMissed(state: IncidentState, index: number, policy: PolicyTable, now: Date, rule: EscalationRule): { state: IncidentState; escalation?: EscalationRecord } {
  const clock = clocksOf(state)[index];
  if (!clock) return { state };
  const marked = bump(state, { regulatoryClocks: clocksOf(state).map((c, i) => (i === index ? { ...c, missed: true } : c)) });
  return escalate(marked, 'regulatory', `${clock.regime} ${clock.stage} was due ${clock.dueAt} and is not filed`, policy, now, rule);
}

export function engagementRejection(state: IncidentState): string | undefined {
  return closedRejection(state);
}

export function engageExternalAssistance(state: IncidentState, engagement: ExternalAssistanceEngagement, by: Principal, now: Date): IncidentState {
  return bump(state, { externalAssistance: [...(state.externalAssistance ?? []), { ...engagement, by, at: now.toISOString() }] });
}

// --- tasks and playbooks ---------------------------------------------------------------------------

const tasksOf = (state: IncidentState) => state.tasks ?? [];

/** Who holds each incident role, for tasks owned by an incident role. */
export function roleHolders(state: IncidentState): RoleHolders {
  const holders: RoleHolders = {};
  for (const [role, held] of Object.entries(state.roles)) if (held) holders[role as IncidentRole] = held.person;
  return holders;
}

export function taskCompletionRejection(state: IncidentState, completion: TaskCompletion, by: Principal): string | undefined {
  return closedRejection(state) ?? completionRejection(tasksOf(state), completion, by, roleHolders(state));
}
export function completeIncidentTask(state: IncidentState, completion: TaskCompletion, by: Principal, now: Date): IncidentState {
  return bump(state, { tasks: completeTask(tasksOf(state), completion, by, now) });
}

export function taskReassignmentRejection(state: IncidentState, reassignment: TaskReassignment): string | undefined {
  return closedRejection(state) ?? reassignmentRejection(tasksOf(state), reassignment);
}
export function reassignIncidentTask(state: IncidentState, reassignment: TaskReassignment, by: Principal, now: Date): IncidentState {
  return bump(state, { tasks: reassignTask(tasksOf(state), reassignment, by, now) });
}

export function taskSkipRejection(state: IncidentState, skip: TaskSkip): string | undefined {
  return closedRejection(state) ?? skipRejection(tasksOf(state), skip);
}
export function skipIncidentTask(state: IncidentState, skip: TaskSkip, by: Principal, now: Date): IncidentState {
  return bump(state, { tasks: skipTask(tasksOf(state), skip, by, now) });
}

export function taskCommentRejection(state: IncidentState, comment: TaskComment): string | undefined {
  return commentRejection(tasksOf(state), comment);
}
export function commentOnIncidentTask(state: IncidentState, comment: TaskComment, by: Principal, now: Date): IncidentState {
  return bump(state, { tasks: commentOnTask(tasksOf(state), comment, by, now) });
}

export function adHocTaskRejection(state: IncidentState): string | undefined {
  return closedRejection(state);
}
export function addIncidentTask(state: IncidentState, added: AdHocTask, by: Principal, now: Date): IncidentState {
  return bump(state, { tasks: addAdHocTask(tasksOf(state), added, roleHolders(state), by, now) });
}

export function addTasks(state: IncidentState, tasks: IncidentTask[]): IncidentState {
  return bump(state, { tasks: [...tasksOf(state), ...tasks] });
}

export function taskReminded(state: IncidentState, taskId: string): IncidentState {
  return bump(state, { tasks: taskReminderSent(tasksOf(state), taskId) });
}

/**
 * An open task or approval gate passed its due time: one step up the chain, as any missed
 * deadline, and the next page one repeat interval on until someone settles it.
 */
export function escalateForOverdueTask(
  state: IncidentState,
  taskId: string,
  policy: PolicyTable,
  now: Date,
  rule: EscalationRule,
): { state: IncidentState; escalation?: EscalationRecord } {
  const task = findTask(tasksOf(state), taskId);
  if (!task) throw new Error(`incident ${state.incidentId} has no task ${taskId}`);
  const what = task.kind === 'approval' ? 'approval' : 'task';
  const escalated = escalate(state, 'task', `${what} "${task.title}" (${taskId}) is overdue since ${task.dueAt}`, policy, now, rule);
  return {
    state: bump(escalated.state, { tasks: taskOverduePaged(tasksOf(escalated.state), taskId, policy[state.severity].escalationRepeat, now) }),
    ...(escalated.escalation ? { escalation: escalated.escalation } : {}),
  };
}

export function playbookApplicationRejection(state: IncidentState, next: PinnedPlaybook): string | undefined {
  const rejection = closedRejection(state) ?? applyRejection(state.playbookRun, state.phase, next);
  if (rejection) return rejection;
  // Handing a built-in plan's half-done stages to a playbook is not supported: name one at assessment.
  if (!state.playbookRun) return `incident ${state.incidentId} runs the built-in ${state.assessment?.strategy ?? 'contain_first'} plan; a playbook is named at assessment`;
  return undefined;
}

/** Another playbook replaces the running one. Returns the steps it dropped. */
export function applyPlaybook(state: IncidentState, next: PinnedPlaybook, by: Principal, now: Date): { state: IncidentState; dropped: string[] } {
  const replaced = replacePlaybook(state.playbookRun, tasksOf(state), next, by, now);
  return { state: bump(state, { playbookRun: replaced.run, tasks: replaced.tasks }), dropped: replaced.dropped };
}

export function updatePlaybookRun(state: IncidentState, run: PlaybookRun): IncidentState {
  return bump(state, { playbookRun: run });
}
