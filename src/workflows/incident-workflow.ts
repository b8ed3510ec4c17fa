import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { AuditEntryInput } from '../domain/audit-chain';
import type { Decided } from '../domain/decisions';
import {
  acknowledge,
  acknowledgeRejection,
  addIncidentTask,
  adHocTaskRejection,
  applyPlaybook,
  commentOnIncidentTask,
  completeIncidentTask,
  playbookApplicationRejection,
  reassignIncidentTask,
  skipIncidentTask,
  taskCommentRejection,
  taskCompletionRejection,
  taskReassignmentRejection,
  taskSkipRejection,
  addNote,
  addObservable,
  armStageDeadlines,
  assess,
  assessmentRejection,
  assignRole,
  close,
  closeRejection,
  determineMateriality,
  engageExternalAssistance,
  engagementRejection,
  materialityRejection,
  recordFiling,
  regimeRejection,
  startClocks,
  containmentApprovalRejection,
  decideContainment,
  escalateForMissedDeadline,
  escalateManually,
  isNotice,
  isOpen,
  manualEscalationRejection,
  noteRejection,
  observableRejection,
  openIncident,
  recordAlert,
  ALERT_IDS_CARRIED,
  recordReview,
  relateIncident,
  reviewRejection,
  roleAssignmentRejection,
  withAuditHead,
  type EscalationRecord,
  type IncidentState,
} from '../domain/incident';
import { targetsAt } from '../domain/escalation';
import { followUpsOf } from '../domain/follow-up';
import { STEP_ACTIONS } from '../domain/timeline-steps';
import { chainFor } from '../domain/policy';
import { affectedCountsOf, clocksRejection, filingRejection, settleClocks } from '../domain/regulatory';
import { CONTINUE_AS_NEW_AFTER_EVENTS, CURRENT_RUNS_PATCH, followUpWorkflowIdFor, QUIET_BEFORE_CONTINUE_AS_NEW_MS } from '../temporal/contract';
import { changedSearchAttributes, incidentSearchAttributes } from '../temporal/search-attributes';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  addTaskUpdate,
  applyPlaybookUpdate,
  commentTaskUpdate,
  completeTaskUpdate,
  reassignTaskUpdate,
  skipTaskUpdate,
  addObservableUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  closeUpdate,
  declareRegimeUpdate,
  determineMaterialityUpdate,
  engageExternalAssistanceUpdate,
  recordFilingUpdate,
  escalateUpdate,
  recordReviewUpdate,
  relatedIncidentSignal,
  stateQuery,
  type IncidentWorkflowInput,
} from './messages';
import { archiveIncidentWorkflow } from './audit-workflows';
import { followUpWorkflow } from './follow-up-workflow';
import type { IncidentRun } from './incident-run';
import { respond } from './response-phase';
import { review } from './review-phase';
import { APPLIED_UPDATE_IDS_KEPT, registerDecision, SYSTEM_ACTOR } from './decision-handler';
import { IDLE, watchClocks, watchStageDeadlines, watchTasks } from './watchers';
import { notify, recordIncident, recordIncidentLocally } from './activity-proxies';

/**
 * One security incident, from detection to a closed review. The workflow waits, schedules stages
 * and records; the rules live in src/domain. Every wait is resumable from the state alone, so the
 * workflow can continue-as-new at any of them.
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  const policy = input.policy;
  // A run started from 0.6.0 on takes every earlier patch with this one marker. Core adds a
  // TemporalChangeVersion upsert to each patch marker, each a write to Temporal's visibility store:
  // a new run made six of each before it did anything (pitfall 54). Such a run also upserts only the
  // search attributes that changed. Older runs replay by their own markers.
  const startedOn060 = patched(CURRENT_RUNS_PATCH);
  const since = (patchId: string) => startedOn060 || patched(patchId);
  // Incidents started before 0.3.0 replay under the rules they ran with: past the top of the chain
  // nothing more was paged, and a stage's SLA was only judged once the stage had finished.
  const escalationRule = { legacy: !since('escalation-never-silent') };
  const stageSlaTimers = since('stage-sla-timers');
  let state: IncidentState = input.carried?.state ?? openIncident(input, policy, new Date());
  const appliedUpdateIds = new Set(input.carried?.appliedUpdateIds ?? []);

  // Audit entries wait here until the next publish writes them with the state they led to.
  const pendingAudit: AuditEntryInput[] = [];
  let auditedPhase = input.carried ? state.phase : undefined;
  let auditedBreaches = state.slaBreaches.length;
  const audit = (entry: Omit<AuditEntryInput, 'at' | 'actor' | 'actorRole' | 'outcome'> & Partial<AuditEntryInput>) =>
    pendingAudit.push({ at: new Date().toISOString(), actor: SYSTEM_ACTOR, actorRole: 'system', outcome: 'recorded', ...entry });
  const auditPhase = () => {
    if (auditedPhase === state.phase) return;
    audit({ entryKey: `phase:${state.phase}`, action: 'enter_phase', details: { phase: state.phase, severity: state.severity } });
    auditedPhase = state.phase;
  };
  // The audit log opens with the opening. A decision or signal that came in the first workflow task
  // runs as soon as its handler is registered below, before the process starts (pitfall 66), so
  // the opening and its phase are audited here, ahead of anything a handler audits; the process's
  // first publish writes them. No command changes: older histories replay unchanged.
  if (!input.carried) {
    audit({ entryKey: 'opened', action: 'open', details: { title: state.title, source: state.source, severity: state.severity, dedupKey: state.dedupKey } });
    auditPhase();
  }

  const pastThreshold = () => input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents;
  // Temporal refuses a continue-as-new while alerts keep arriving; each refusal evicts the run and
  // the next task replays it from the first event, longer each time (pitfall 35). From 0.4.0 a run
  // past its threshold waits for a quiet moment with no alert; the lifecycle and its watchers run
  // on meanwhile, and Temporal's own suggestion still ends the run in a storm that never pauses.
  const continueWhenQuiet = since('continue-when-quiet');
  let alertsReceived = 0;
  let quietPastThreshold = false;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || (pastThreshold() && (!continueWhenQuiet || quietPastThreshold));
  if (continueWhenQuiet) {
    void (async () => {
      await condition(pastThreshold);
      for (let seen = -1; seen !== alertsReceived; ) {
        seen = alertsReceived;
        await sleep(QUIET_BEFORE_CONTINUE_AS_NEW_MS);
      }
      quietPastThreshold = true;
    })();
  }

  // One publish at a time, in order (0.4.0): two in flight at once reach the read model and the
  // audit chain in either order, and under load an acknowledgement's entries came before the
  // opening's (pitfall 36). A publish asked for while another waits to start is that one: it reads
  // the state when it starts, so it carries both changes.
  const publishInOrder = since('publish-in-order');
  // From 0.5.0 a publish runs as a local activity, so a decision waits for no activity task
  // (bench M3). Not one that carries a playbook's step or task entries: the timeline reads those
  // from the activity's input in history, and a local activity's marker keeps only its result.
  const publishLocally = since('publish-locally');
  let publishing: Promise<void> = Promise.resolve();
  // What this run last upserted, by attribute name: a publish upserts only what changed (0.6.0).
  const upserted = new Map<string, unknown>();
  let waiting: Promise<void> | undefined;
  function publish(): Promise<void> {
    if (!publishInOrder) return publishNow();
    if (waiting) return waiting;
    const next = publishing.then(() => {
      waiting = undefined;
      return publishNow();
    });
    waiting = next;
    publishing = next.catch(() => undefined);
    return next;
  }

  async function publishNow(): Promise<void> {
    auditPhase();
    for (const breach of state.slaBreaches.slice(auditedBreaches)) {
      audit({ entryKey: `sla-breach:${breach.deadline}:${breach.phase}`, action: 'sla_breach', details: { ...breach } });
    }
    auditedBreaches = state.slaBreaches.length;
    const attributes = incidentSearchAttributes(state);
    const changed = startedOn060 ? changedSearchAttributes(attributes, upserted) : attributes;
    if (changed.length > 0) upsertSearchAttributes(changed);
    for (const { key, value } of changed) upserted.set(key.name, value);
    // The chain's head comes back in the activity's result, so history holds it and replay gives
    // it back: no command changes. Results from before 0.5.0 are empty and leave the state as it is.
    const local = publishLocally && !pendingAudit.some((entry) => STEP_ACTIONS.has(entry.action));
    const head = await (local ? recordIncidentLocally : recordIncident)(state, pendingAudit.splice(0, pendingAudit.length));
    state = withAuditHead(state, head ?? undefined);
  }

  const base = () => ({ incidentId: state.incidentId, title: state.title, severity: state.severity });
  /** Who stands first at a level of the incident's chain. */
  const targetAt = (level: number) => targetsAt(chainFor(policy[state.severity]), level)[0]!;
  /** Whom a notice at a level addresses: its first target, and since 0.3.0 every target on the level. */
  const addressed = (level: number) => ({
    target: targetAt(level),
    ...(escalationRule.legacy ? {} : { targets: targetsAt(chainFor(policy[state.severity]), level) }),
  });
  const page = (escalation: EscalationRecord) => {
    audit({
      // Numbered pages (0.3.0 on) repeat a level and a cause, and each is its own entry.
      entryKey: `page:${escalation.level}:${escalation.cause}${escalation.page ? `:${escalation.page}` : ''}`,
      action: isNotice(escalation) ? 'notify' : 'escalate',
      ...(escalation.by ? { actor: escalation.by.name, actorRole: escalation.by.role } : {}),
      details: { ...escalation, by: escalation.by?.keyId },
    });
    return notify({ ...base(), kind: 'escalation', escalation });
  };

  /** The run as the workflow's modules see it (the playbook interpreter works through it alone). */
  const run: IncidentRun = {
    policy,
    escalationRule,
    state: () => state,
    set: (next) => {
      state = next;
    },
    audit,
    publish,
    page,
    notify,
    shouldContinueAsNew,
    base,
    addressed,
    awaitWithEscalation,
  };

  /**
   * Waits until `done()` holds or continue-as-new is due. Each time the pending deadline passes
   * first, the incident escalates one level up the chain (the domain rule sets the next
   * deadline); with no deadline left it simply waits.
   */
  async function awaitWithEscalation(done: () => boolean): Promise<void> {
    const stop = () => done() || shouldContinueAsNew();
    while (!stop()) {
      const deadline = state.nextDeadline;
      if (!deadline) {
        await condition(stop);
        return;
      }
      if (await condition(stop, Math.max(Date.parse(deadline.dueAt) - Date.now(), 1))) return;
      const missed = escalateForMissedDeadline(state, deadline, policy, new Date(), escalationRule);
      state = missed.state;
      if (missed.escalation) await page(missed.escalation);
      await publish();
    }
  }

  // --- handlers ---------------------------------------------------------------------------------

  /**
   * Bumped by every decision that changes the regulatory clocks, so their watcher looks again.
   * Declared before the handlers: one that came in the first workflow task runs as it is
   * registered, and a `let` below it was not yet initialised there (pitfall 66).
   */
  let clocksChanged = 0;
  const decisionHost = { state: () => state, appliedUpdateIds, audit, publish };
  const decision = <T>(
    definition: UpdateDefinition<IncidentState, [Decided<T>]>,
    rejection: (decided: Decided<T>) => string | undefined,
    apply: (decided: Decided<T>) => void | Promise<void>,
  ) => registerDecision(decisionHost, definition, rejection, apply);

  setHandler(stateQuery, () => state);
  // An alert signal arrives at least once: the intake answers 503 when Temporal is slower than its
  // deadline, though the signal may have landed, and the sender's retry sends it again, often after
  // more than the recent alerts recordAlert looks at. 0.4.0 remembers every alert id of the run and
  // hands the latest ones to the next run.
  const alertIdsRemembered = since('alert-ids-remembered');
  const seenAlertIds = new Set(input.carried?.alertIds ?? state.recentAlerts.map((a) => a.alertId));
  setHandler(alertSignal, (alert) => {
    alertsReceived += 1;
    if (alertIdsRemembered) {
      if (seenAlertIds.has(alert.alertId)) return;
      seenAlertIds.add(alert.alertId);
    }
    state = recordAlert(state, alert);
  });
  // Correlation is the system's act, not a person's: it is audited and published here, since no
  // update carries it (the signal is new in 0.3.0, so no older history holds this activity call).
  setHandler(relatedIncidentSignal, async (notice) => {
    const related = relateIncident(state, notice);
    if (related.added.length === 0) return;
    state = related.state;
    audit({
      entryKey: `related:${notice.incidentId}:${state.version}`,
      action: 'relate_incident',
      details: { incidentId: notice.incidentId, alertId: notice.alertId, shared: related.added.map(({ kind, value }) => ({ kind, value })) },
    });
    await publish();
  });

  decision(acknowledgeUpdate, () => acknowledgeRejection(state), ({ principal }) => {
    state = acknowledge(state, principal, policy, new Date());
  });
  decision(assessUpdate, () => assessmentRejection(state), ({ decision: assessment, principal }) => {
    state = assess(state, assessment, principal, policy, new Date());
    if (stageSlaTimers && state.phase === 'response') state = armStageDeadlines(state, policy);
  });
  decision(approveContainmentUpdate, ({ decision: approval }) => containmentApprovalRejection(state, approval), ({ decision: approval, principal }) => {
    state = decideContainment(state, approval, principal, new Date());
  });
  decision(assignRoleUpdate, () => roleAssignmentRejection(state), ({ decision: assignment, principal }) => {
    state = assignRole(state, assignment, principal, new Date());
  });
  decision(addNoteUpdate, () => noteRejection(state), ({ decision: note, principal }) => {
    state = addNote(state, note, principal, new Date());
  });
  decision(escalateUpdate, () => manualEscalationRejection(state, policy), async ({ decision: request, principal }) => {
    const escalated = escalateManually(state, request, principal, policy, new Date());
    state = escalated.state;
    await page(escalated.escalation);
  });
  decision(recordReviewUpdate, () => reviewRejection(state), ({ decision: outcome, principal }) => {
    state = recordReview(state, outcome, principal, new Date());
  });
  decision(closeUpdate, () => closeRejection(state, policy), ({ decision: closure, principal }) => {
    state = close(state, closure, principal, policy, new Date());
  });
  decision(addObservableUpdate, ({ decision: addition }) => observableRejection(state, addition), ({ decision: addition, principal }) => {
    state = addObservable(state, addition, principal, new Date());
  });
  // Tasks and playbooks (0.4.0). Old histories hold none of these updates, and the task watcher
  // below waits without a timer while there are no tasks, so runs from before replay unchanged.
  decision(completeTaskUpdate, ({ decision: d, principal }) => taskCompletionRejection(state, d, principal), ({ decision: d, principal }) => {
    state = completeIncidentTask(state, d, principal, new Date());
  });
  decision(reassignTaskUpdate, ({ decision: d }) => taskReassignmentRejection(state, d), ({ decision: d, principal }) => {
    state = reassignIncidentTask(state, d, principal, new Date());
  });
  decision(skipTaskUpdate, ({ decision: d }) => taskSkipRejection(state, d), ({ decision: d, principal }) => {
    state = skipIncidentTask(state, d, principal, new Date());
  });
  decision(commentTaskUpdate, ({ decision: d }) => taskCommentRejection(state, d), ({ decision: d, principal }) => {
    state = commentOnIncidentTask(state, d, principal, new Date());
  });
  decision(addTaskUpdate, () => adHocTaskRejection(state), ({ decision: d, principal }) => {
    state = addIncidentTask(state, d, principal, new Date());
  });
  decision(applyPlaybookUpdate, ({ decision: d }) => playbookApplicationRejection(state, d.playbook), ({ decision: d, principal }) => {
    const applied = applyPlaybook(state, d.playbook, principal, new Date());
    state = applied.state;
    const { name, version, digest } = d.playbook;
    audit({ entryKey: `playbook-applied:${name}:${version}`, action: 'apply_playbook', actor: principal.name, actorRole: principal.role, details: { name, version, digest, dropped: applied.dropped } });
  });
  decision(engageExternalAssistanceUpdate, () => engagementRejection(state), ({ decision: d, principal }) => {
    state = engageExternalAssistance(state, d, principal, new Date());
  });
  decision(declareRegimeUpdate, ({ decision: d }) => regimeRejection(state, d.regime) ?? clocksRejection(d.regime, d.clocks, affectedCountsOf(d)), ({ decision: d }) => {
    // Since 0.3.0 a regime's stages may depend on the affected counts (HIPAA), settled here.
    state = startClocks(state, since('regulatory-corrections') ? settleClocks(d.clocks, affectedCountsOf(d)) : d.clocks);
    clocksChanged += 1;
  });
  decision(determineMaterialityUpdate, () => materialityRejection(state), ({ decision: d, principal }) => {
    const { clocks, ...determination } = d;
    state = determineMateriality(state, determination, clocks, principal, new Date());
    clocksChanged += 1;
  });
  decision(
    recordFilingUpdate,
    ({ decision: d }) => filingRejection(state.regulatoryClocks ?? [], d.regime, d.stage, new Date(d.filedAt), d.lateReason, new Date()),
    ({ decision: d, principal }) => {
      state = recordFiling(state, d.regime, d.stage, { reference: d.reference, filedAt: d.filedAt, by: principal, ...(d.lateReason ? { lateReason: d.lateReason } : {}) }, new Date());
      clocksChanged += 1;
    },
  );

  // --- beside the lifecycle: regulatory clocks, stage SLAs and tasks (watchers.ts) -------------------

  const watchers = [watchClocks(run, () => clocksChanged), stageSlaTimers ? watchStageDeadlines(run) : IDLE, watchTasks(run)];

  // --- the process --------------------------------------------------------------------------------

  if (!input.carried) {
    await publish();
    await page({ level: 0, ...addressed(0), cause: 'acknowledge', reason: 'incident opened', at: state.openedAt });
  }

  while (isOpen(state) && !shouldContinueAsNew()) {
    switch (state.phase) {
      case 'detected':
        await awaitWithEscalation(() => state.phase !== 'detected');
        break;
      case 'triage':
        await awaitWithEscalation(() => state.phase !== 'triage');
        break;
      case 'response':
        await respond(run);
        break;
      case 'review':
        await review(run);
        break;
    }
  }

  const settled = () => allHandlersFinished() && !watchers.some((w) => w.busy());
  await condition(settled);
  await publish();
  // A watcher's timer can fall due, or a decision arrive, while that publish runs. Ending the run
  // then would drop the page it sends and the entries it audits with the run, and its timer's
  // coroutine runs only after this one in the same activation. 0.4.0 waits them out; the marker
  // appears only in runs where it happened, so other histories replay unchanged.
  const quiet = () => settled() && !watchers.some((w) => w.due());
  while (!quiet() && since('settle-before-end')) {
    await condition(quiet);
    await publish();
  }
  if (!isOpen(state)) {
    // Archive the whole history once this run has closed, so audits outlive Temporal's retention.
    await startChild(archiveIncidentWorkflow, {
      workflowId: `archive-${state.incidentId}`,
      args: [state.incidentId],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // The review's action items outlive the incident (0.4.0): a workflow of their own tracks them.
    const followUps = followUpsOf(state, policy);
    if (followUps && since('follow-ups')) {
      await startChild(followUpWorkflow, {
        workflowId: followUpWorkflowIdFor(state.incidentId),
        args: [{ initial: followUps, continueAsNewAfterEvents: CONTINUE_AS_NEW_AFTER_EVENTS }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }
  }
  if (isOpen(state)) {
    return continueAsNew<typeof incidentWorkflow>({
      ...input,
      carried: {
        state,
        appliedUpdateIds: [...appliedUpdateIds].slice(-APPLIED_UPDATE_IDS_KEPT),
        ...(alertIdsRemembered ? { alertIds: [...seenAlertIds].slice(-ALERT_IDS_CARRIED) } : {}),
      },
    });
  }
  return state;
}
