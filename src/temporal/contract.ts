/** The names other processes rely on: one place for each (DESIGN.md, "Temporal contract"). */
export const TASK_QUEUE = 'incidents';
export const WORKFLOW_TYPE = 'incidentWorkflow';

export function workflowIdFor(incidentId: string): string {
  return `incident-${incidentId}`;
}
