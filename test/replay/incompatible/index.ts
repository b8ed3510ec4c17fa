/**
 * The current workflows with one deliberately incompatible change: the incident and follow-up
 * workflows sleep before doing anything, a command no saved history has. Replaying any fixture against this must
 * fail with a nondeterminism error; that is what proves the fixture suite can catch a bad change.
 */
import { sleep } from '@temporalio/workflow';
import type { FollowUpWorkflowInput, IncidentWorkflowInput } from '../../../src/workflows/messages';
import { followUpWorkflow as currentFollowUps } from '../../../src/workflows/follow-up-workflow';
import { incidentWorkflow as current } from '../../../src/workflows/incident-workflow';

export { archiveIncidentWorkflow, replayAuditWorkflow } from '../../../src/workflows/audit-workflows';

export async function incidentWorkflow(input: IncidentWorkflowInput) {
  await sleep(1);
  return current(input);
}

export async function followUpWorkflow(input: FollowUpWorkflowInput) {
  await sleep(1);
  return currentFollowUps(input);
}
