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
  RegimeDeclaration,
  ReviewOutcome,
  RoleAssignment,
} from '../domain/decisions';
import type { AlertSummary, IncidentState } from '../domain/incident';
import type { PolicyTable } from '../domain/policy';
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
  /** Tests only: continue-as-new once history has this many events, well before Temporal suggests it. */
  continueAsNewAfterEvents?: number;
}

export interface CarriedOver {
  state: IncidentState;
  /** Ids of updates already applied, so a client retrying one across continue-as-new is not applied twice. */
  appliedUpdateIds: string[];
}

/** Failure type an update validator throws; the API answers it with 409. */
export const DECISION_REJECTED = 'DecisionRejected';

export const alertSignal = defineSignal<[AlertSummary]>('alert');
/** Fire-and-forget notes, e.g. from an integration; people's notes go through `addNoteUpdate`. */
export const noteSignal = defineSignal<[Decided<Note>]>('note');
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
