import { proxyActivities } from '@temporalio/workflow';
import type { AuditActivities } from '../activities/types';
import { RETRY_POLICIES } from './retry-policies';

const { archiveHistory } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '5m',
  // Waits (by retrying) until the incident's last run has closed, then copies it: retention must never win the race.
  retry: RETRY_POLICIES.untilDelivered,
});

const { replayIncident } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 3 },
});

/** Started by a closing incident (and left running when it ends): archives its history in PostgreSQL. */
export async function archiveIncidentWorkflow(incidentId: string): Promise<void> {
  await archiveHistory(incidentId);
}

/** Replays an incident's stored history against the worker's current code, for auditors. */
export async function replayAuditWorkflow(incidentId: string) {
  return replayIncident(incidentId);
}
