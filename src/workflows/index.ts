export { incidentWorkflow } from './incident-workflow';
export { archiveIncidentWorkflow, replayAuditWorkflow } from './audit-workflows';
export { weeklyReportWorkflow } from './report-workflows';
export { eventRelayWorkflow } from './event-relay-workflow';
export { followUpWorkflow } from './follow-up-workflow';
