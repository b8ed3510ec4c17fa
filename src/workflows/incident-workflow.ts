import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  currentUpdateInfo,
  ParentClosePolicy,
  patched,
  setHandler,
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
  escalateForOverdueTask,
  playbookApplicationRejection,
  reassignIncidentTask,
  roleHolders,
  skipIncidentTask,
  taskCommentRejection,
  taskCompletionRejection,
  taskReassignmentRejection,
  taskReminded,
  taskSkipRejection,
  addNote,
  addObservable,
  armStageDeadlines,
  assess,
  assessmentRejection,
  assignRole,
  clockMissed,
  clockReminderSent,
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
  nextStageDeadline,
  noteRejection,
  observableRejection,
  openIncident,
  recordAlert,
  recordReview,
  relateIncident,
  reviewRejection,
  roleAssignmentRejection,
  stageDeadlineMissed,
  type EscalationRecord,
  type IncidentState,
} from '../domain/incident';
import { targetsAt } from '../domain/escalation';
import { followUpsOf } from '../domain/follow-up';
import { chainFor } from '../domain/policy';
import { affectedCountsOf, clocksRejection, filingRejection, nextClockEvent, settleClocks } from '../domain/regulatory';
import { CONTINUE_AS_NEW_AFTER_EVENTS, followUpWorkflowIdFor } from '../temporal/contract';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
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
  DECISION_REJECTED,
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
import { findTask, nextTaskTimer, reminderRecipient } from '../domain/task';
import { notify, recordIncident } from './activity-proxies';

/** Who the audit log names for what the workflow does by itself. */
const SYSTEM_ACTOR = 'firebreak';

/** Applied update ids kept across continue-as-new (a client retries within minutes, not thousands of decisions later). */
const APPLIED_UPDATE_IDS_KEPT = 500;

/** A decision as the audit log keeps it: a pinned playbook by name, version and digest (history holds it whole). */
function auditedDecision(decision: unknown): Record<string, unknown> {
  const { playbook, ...rest } = decision as Record<string, unknown> & { playbook?: { name: string; version: number; digest: string; chosen: string } };
  return playbook ? { ...rest, playbook: { name: playbook.name, version: playbook.version, digest: playbook.digest, chosen: playbook.chosen } } : rest;
}

/** Rejects an update before it enters history; the API turns this into 409. */
function rejectIf(reason: string | undefined): void {
  if (reason) throw ApplicationFailure.create({ type: DECISION_REJECTED, message: reason, nonRetryable: true });
}

/**
 * One security incident, from detection to a closed review. The workflow waits, schedules stages
 * and records; the rules live in src/domain. Every wait is resumable from the state alone, so the
 * workflow can continue-as-new at any of them.
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  const policy = input.policy;
  // Incidents started before 0.3.0 replay under the rules they ran with: past the top of the chain
  // nothing more was paged, and a stage's SLA was only judged once the stage had finished.
  const escalationRule = { legacy: !patched('escalation-never-silent') };
  const stageSlaTimers = patched('stage-sla-timers');
  let state: IncidentState = input.carried?.state ?? openIncident(input, policy, new Date());
  const appliedUpdateIds = new Set(input.carried?.appliedUpdateIds ?? []);

  // Audit entries wait here until the next publish writes them with the state they led to.
  const pendingAudit: AuditEntryInput[] = [];
  let auditedPhase = input.carried ? state.phase : undefined;
  let auditedBreaches = state.slaBreaches.length;
  const audit = (entry: Omit<AuditEntryInput, 'at' | 'actor' | 'actorRole' | 'outcome'> & Partial<AuditEntryInput>) =>
    pendingAudit.push({ at: new Date().toISOString(), actor: SYSTEM_ACTOR, actorRole: 'system', outcome: 'recorded', ...entry });

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  async function publish(): Promise<void> {
    if (auditedPhase !== state.phase) {
      audit({ entryKey: `phase:${state.phase}`, action: 'enter_phase', details: { phase: state.phase, severity: state.severity } });
      auditedPhase = state.phase;
    }
    for (const breach of state.slaBreaches.slice(auditedBreaches)) {
      audit({ entryKey: `sla-breach:${breach.deadline}:${breach.phase}`, action: 'sla_breach', details: { ...breach } });
    }
    auditedBreaches = state.slaBreaches.length;
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: state.phase },
      { key: SEARCH_ATTRIBUTES.severity, value: state.severity },
      { key: SEARCH_ATTRIBUTES.source, value: state.source },
      { key: SEARCH_ATTRIBUTES.escalationLevel, value: state.escalationLevel },
      { key: SEARCH_ATTRIBUTES.commander, value: state.roles.commander?.person ?? '' },
    ]);
    await recordIncident(state, pendingAudit.splice(0, pendingAudit.length));
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

  /** Registers a decision: validated synchronously, applied once per update id, then published. */
  function decision<T>(
    definition: UpdateDefinition<IncidentState, [Decided<T>]>,
    rejection: (decided: Decided<T>) => string | undefined,
    apply: (decided: Decided<T>) => void | Promise<void>,
  ): void {
    const alreadyApplied = () => {
      const id = currentUpdateInfo()?.id;
      return id !== undefined && appliedUpdateIds.has(id);
    };
    setHandler(
      definition,
      async (decided) => {
        if (alreadyApplied()) return state;
        const id = currentUpdateInfo()?.id;
        if (id) appliedUpdateIds.add(id);
        audit({
          entryKey: `decision:${id ?? `${definition.name}:${state.version}`}`,
          actor: decided.principal.name,
          actorRole: decided.principal.role,
          action: definition.name,
          outcome: 'applied',
          details: { keyId: decided.principal.keyId, decision: auditedDecision(decided.decision) },
        });
        await apply(decided);
        await publish();
        return state;
      },
      { validator: (decided: Decided<T>) => (alreadyApplied() ? undefined : rejectIf(rejection(decided))) },
    );
  }

  setHandler(stateQuery, () => state);
  setHandler(alertSignal, (alert) => {
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
  decision(approveContainmentUpdate, () => containmentApprovalRejection(state), ({ decision: approval, principal }) => {
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
    state = startClocks(state, patched('regulatory-corrections') ? settleClocks(d.clocks, affectedCountsOf(d)) : d.clocks);
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

  // --- regulatory clocks --------------------------------------------------------------------------

  /**
   * Runs beside the lifecycle: reminds before each filing deadline and escalates when one passes
   * unfiled. It sleeps without a timer while no clock runs, so incidents without regulators add
   * nothing to their history.
   */
  async function watchClocks(): Promise<void> {
    for (;;) {
      const seen = clocksChanged;
      const next = nextClockEvent(state.regulatoryClocks ?? []);
      if (!next) {
        await condition(() => clocksChanged !== seen);
        continue;
      }
      if (await condition(() => clocksChanged !== seen, Math.max(next.at - Date.now(), 1))) continue;
      clockWork = true;
      const clock = (state.regulatoryClocks ?? [])[next.index]!;
      if (next.kind === 'reminder') {
        state = clockReminderSent(state, next.index);
        const reminder = state.regulatoryClocks![next.index]!.remindersSent;
        audit({ entryKey: `regulatory-reminder:${clock.regime}:${clock.stage}:${reminder}`, action: 'regulatory_reminder', details: { regime: clock.regime, stage: clock.stage, dueAt: clock.dueAt } });
        await notify({ ...base(), kind: 'regulatory_reminder', recipient: state.roles.commander?.person ?? targetAt(state.escalationLevel), regime: clock.regime, stage: clock.stage, reminder, dueAt: next.dueAt });
      } else {
        const missed = clockMissed(state, next.index, policy, new Date(), escalationRule);
        state = missed.state;
        audit({ entryKey: `regulatory-missed:${clock.regime}:${clock.stage}`, action: 'regulatory_deadline_missed', outcome: 'missed', details: { regime: clock.regime, stage: clock.stage, dueAt: clock.dueAt } });
        if (missed.escalation) await page(missed.escalation);
      }
      await publish();
      clockWork = false;
    }
  }
  let clocksChanged = 0;
  let clockWork = false;
  void watchClocks();

  // --- stage SLAs -----------------------------------------------------------------------------------

  /**
   * Runs beside the response: a stage still running at its SLA (containment done, forensics
   * collected) records one breach and escalates, again every repeat interval until it finishes.
   * It waits without a timer while no stage SLA runs.
   */
  async function watchStageDeadlines(): Promise<void> {
    for (;;) {
      const watched = state.stageDeadlines;
      const next = nextStageDeadline(state);
      if (!next) {
        await condition(() => state.stageDeadlines !== watched);
        continue;
      }
      if (await condition(() => state.stageDeadlines !== watched, Math.max(Date.parse(next.dueAt) - Date.now(), 1))) continue;
      slaWork = true;
      const missed = stageDeadlineMissed(state, next, policy, new Date());
      state = missed.state;
      if (missed.escalation) await page(missed.escalation);
      await publish();
      slaWork = false;
    }
  }
  let slaWork = false;
  if (stageSlaTimers) void watchStageDeadlines();

  // --- tasks -----------------------------------------------------------------------------------------

  /**
   * Runs beside the lifecycle: reminds the owner of each open task before it falls due, and once
   * it is overdue pages one step up the chain, again every repeat interval until someone settles
   * it. It waits without a timer while no task is open.
   */
  async function watchTasks(): Promise<void> {
    for (;;) {
      const watched = state.tasks;
      const next = isOpen(state) ? nextTaskTimer(state.tasks ?? []) : undefined;
      if (!next) {
        await condition(() => state.tasks !== watched);
        continue;
      }
      if (await condition(() => state.tasks !== watched, Math.max(next.at - Date.now(), 1))) continue;
      taskWork = true;
      const task = findTask(state.tasks ?? [], next.taskId)!;
      if (next.kind === 'reminder') {
        state = taskReminded(state, task.taskId);
        const reminder = task.remindersSent + 1;
        const recipient = reminderRecipient(task, roleHolders(state));
        audit({ entryKey: `task-reminder:${task.taskId}:${reminder}`, action: 'task_reminder', details: { taskId: task.taskId, recipient, reminder, dueAt: task.dueAt } });
        await notify({ ...base(), kind: 'task_reminder', recipient, taskId: task.taskId, taskTitle: task.title, reminder, dueAt: task.dueAt });
      } else {
        const missed = escalateForOverdueTask(state, task.taskId, policy, new Date(), escalationRule);
        state = missed.state;
        audit({ entryKey: `task-overdue:${task.taskId}:${task.overduePages + 1}`, action: 'task_overdue', outcome: 'missed', details: { taskId: task.taskId, dueAt: task.dueAt, page: task.overduePages + 1 } });
        if (missed.escalation) await page(missed.escalation);
      }
      await publish();
      taskWork = false;
    }
  }
  let taskWork = false;
  void watchTasks();

  // --- the process --------------------------------------------------------------------------------

  if (!input.carried) {
    audit({ entryKey: 'opened', action: 'open', details: { title: state.title, source: state.source, severity: state.severity, dedupKey: state.dedupKey } });
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

  await condition(() => allHandlersFinished() && !clockWork && !slaWork && !taskWork);
  await publish();
  if (!isOpen(state)) {
    // Archive the whole history once this run has closed, so audits outlive Temporal's retention.
    await startChild(archiveIncidentWorkflow, {
      workflowId: `archive-${state.incidentId}`,
      args: [state.incidentId],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    // The review's action items outlive the incident (0.4.0): a workflow of their own tracks them.
    const followUps = followUpsOf(state, policy);
    if (followUps && patched('follow-ups')) {
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
      carried: { state, appliedUpdateIds: [...appliedUpdateIds].slice(-APPLIED_UPDATE_IDS_KEPT) },
    });
  }
  return state;
}
