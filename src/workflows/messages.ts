/**
 * Every signal, query and update of the incident workflow, defined once and imported by both
 * the workflow and the API. This module imports nothing but the `define*` functions, so the API
 * process never loads workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  Assessment,
  Closure,
  ContainmentApproval,
  Decided,
  EscalationRequest,
  ExternalAssistanceEngagement,
  FilingRecord,
  MaterialityDetermination,
  Note,
  PlaybookApplication,
  RegimeDeclaration,
  ReviewOutcome,
  RoleAssignment,
} from '../domain/decisions';
import { FOLLOW_UP_DECISION_NAMES, type FollowUpState } from '../domain/follow-up';
import type { AlertSummary, IncidentState } from '../domain/incident';
import type { ObservableRef, RelatedIncidentNotice } from '../domain/observable-record';
import type { PolicyTable } from '../domain/policy';
import type { AdHocTask, TaskComment, TaskCompletion, TaskReassignment, TaskSkip } from '../domain/task';
import type { Severity } from '../domain/severity';

export interface IncidentWorkflowInput {
  incidentId: string;
  dedupKey: string;
  title: string;
  source: string;
  severity: Severity;
  /** The policy the incident runs under for its whole life. */
  policy: PolicyTable;
  /** Carried across continue-as-new; absent on the first run. */
  carried?: CarriedOver;
  /**
   * Continue-as-new once history has this many events, before Temporal suggests it. The intake sets
   * it for every incident since 0.3.0 (CONTINUE_AS_NEW_AFTER_EVENTS); older incidents wait for the suggestion.
   */
  continueAsNewAfterEvents?: number;
}

export interface CarriedOver {
  state: IncidentState;
  /** Ids of updates already applied, so a client retrying one across continue-as-new is not applied twice. */
  appliedUpdateIds: string[];
  /** The latest alert ids the run saw (0.4.0 on), so a signal delivered twice across continue-as-new counts once. */
  alertIds?: string[];
}

/** Failure type an update validator throws; the API answers it with 409. */
export const DECISION_REJECTED = 'DecisionRejected';

export const alertSignal = defineSignal<[AlertSummary]>('alert');
/** Intake found that another open incident saw one of this incident's observables. */
export const relatedIncidentSignal = defineSignal<[RelatedIncidentNotice]>('relatedIncident');
export const stateQuery = defineQuery<IncidentState>('state');

export const acknowledgeUpdate = defineUpdate<IncidentState, [Decided<Record<string, never>>]>('acknowledge');
export const assessUpdate = defineUpdate<IncidentState, [Decided<Assessment>]>('assess');
export const approveContainmentUpdate = defineUpdate<IncidentState, [Decided<ContainmentApproval>]>('approveContainment');
export const assignRoleUpdate = defineUpdate<IncidentState, [Decided<RoleAssignment>]>('assignRole');
export const escalateUpdate = defineUpdate<IncidentState, [Decided<EscalationRequest>]>('escalate');
export const addNoteUpdate = defineUpdate<IncidentState, [Decided<Note>]>('addNote');
export const recordReviewUpdate = defineUpdate<IncidentState, [Decided<ReviewOutcome>]>('recordReview');
export const closeUpdate = defineUpdate<IncidentState, [Decided<Closure>]>('close');
export const declareRegimeUpdate = defineUpdate<IncidentState, [Decided<RegimeDeclaration>]>('declareRegime');
export const determineMaterialityUpdate = defineUpdate<IncidentState, [Decided<MaterialityDetermination>]>('determineMateriality');
export const recordFilingUpdate = defineUpdate<IncidentState, [Decided<FilingRecord>]>('recordFiling');
export const engageExternalAssistanceUpdate = defineUpdate<IncidentState, [Decided<ExternalAssistanceEngagement>]>('engageExternalAssistance');
export const addObservableUpdate = defineUpdate<IncidentState, [Decided<ObservableRef>]>('addObservable');

// Tasks (0.4.0): the playbook's human tasks and approval gates, and tasks added by hand.
export const completeTaskUpdate = defineUpdate<IncidentState, [Decided<TaskCompletion>]>('completeTask');
export const reassignTaskUpdate = defineUpdate<IncidentState, [Decided<TaskReassignment>]>('reassignTask');
export const skipTaskUpdate = defineUpdate<IncidentState, [Decided<TaskSkip>]>('skipTask');
export const commentTaskUpdate = defineUpdate<IncidentState, [Decided<TaskComment>]>('commentTask');
export const addTaskUpdate = defineUpdate<IncidentState, [Decided<AdHocTask>]>('addTask');
export const applyPlaybookUpdate = defineUpdate<IncidentState, [Decided<PlaybookApplication>]>('applyPlaybook');

// Follow-ups (0.4.0): a closed incident's review action items, tracked to done by a workflow of their own.
export interface FollowUpWorkflowInput {
  /** The follow-ups as the incident left them at close. */
  initial: FollowUpState;
  carried?: { state: FollowUpState; appliedUpdateIds: string[] };
  continueAsNewAfterEvents?: number;
}
export const followUpStateQuery = defineQuery<FollowUpState>('followUps');
export const completeFollowUpUpdate = defineUpdate<FollowUpState, [Decided<TaskCompletion>]>(FOLLOW_UP_DECISION_NAMES.complete);
export const reassignFollowUpUpdate = defineUpdate<FollowUpState, [Decided<TaskReassignment>]>(FOLLOW_UP_DECISION_NAMES.reassign);
export const skipFollowUpUpdate = defineUpdate<FollowUpState, [Decided<TaskSkip>]>(FOLLOW_UP_DECISION_NAMES.skip);
export const commentFollowUpUpdate = defineUpdate<FollowUpState, [Decided<TaskComment>]>(FOLLOW_UP_DECISION_NAMES.comment);
