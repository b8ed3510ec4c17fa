/** The names other processes rely on: one place for each (DESIGN.md, "Temporal contract"). */
export const TASK_QUEUE = 'incidents';
export const WORKFLOW_TYPE = 'incidentWorkflow';

/**
 * An incident continues as new once its run's history holds this many events, well before the
 * server's suggestion (4,096 events). A workflow task that meets a cold cache replays the whole
 * run, at about 1 ms an event on an idle core (the SDK records a stack trace for every promise);
 * a storm run of 6,000 events took 14 to 18 s on two loaded cores, past the 10 s task timeout,
 * and never caught up (docs/temporal-pitfalls.md, 30).
 */
export const CONTINUE_AS_NEW_AFTER_EVENTS = 1_000;

/**
 * How long a run past that threshold waits with no alert arriving before it continues as new
 * (0.4.0 on). Temporal refuses a continue-as-new while signals keep arriving, and each refusal
 * evicts the run, which then replays from its first event (docs/temporal-pitfalls.md, 35).
 */
export const QUIET_BEFORE_CONTINUE_AS_NEW_MS = 1_000;

export function workflowIdFor(incidentId: string): string {
  return `incident-${incidentId}`;
}

/** A closed incident's follow-ups run in a workflow of their own, started as the incident closes. */
export function followUpWorkflowIdFor(incidentId: string): string {
  return `follow-ups-${incidentId}`;
}

/**
 * The one patch a run of the incident workflow started from 0.6.0 on records: it stands for every
 * patch before it (each of those recorded a marker and a TemporalChangeVersion upsert of its own).
 * A later change that needs versioning takes a patch of its own, after this one.
 */
export const CURRENT_RUNS_PATCH = 'firebreak-0.6.0';
