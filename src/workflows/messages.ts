/**
 * Every signal, query and update of the incident workflow, defined once and imported by both
 * the workflow and the API. This module imports nothing but the `define*` functions, so the API
 * process never loads workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertSummary, IncidentState } from '../domain/incident';
import type { Principal } from '../domain/principal';
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
  carriedState?: IncidentState;
}

/** Every decision carries who made it, so the history itself records the actor. */
export interface DecisionArgs {
  principal: Principal;
}

/** Failure type an update validator throws; the API answers it with 409. */
export const DECISION_REJECTED = 'DecisionRejected';

export const alertSignal = defineSignal<[AlertSummary]>('alert');
export const stateQuery = defineQuery<IncidentState>('state');
export const acknowledgeUpdate = defineUpdate<IncidentState, [DecisionArgs]>('acknowledge');
